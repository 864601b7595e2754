// Result references (RFC 8620 §3.7): an argument `#name` whose value is
// { resultOf, name, path } takes its value from an earlier response of the same request,
// found by method call id and response name, through a JSON Pointer (RFC 6901) extended with
// `*` (apply the rest of the path to every item of an array, flattening arrays it yields).
import { MethodError } from './errors.js';

export type MethodResponse = [name: string, args: Record<string, unknown>, callId: string];

interface ResultReference {
  resultOf: string;
  name: string;
  path: string;
}

function isReference(value: unknown): value is ResultReference {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return typeof v['resultOf'] === 'string' && typeof v['name'] === 'string' && typeof v['path'] === 'string';
}

/** The arguments with every `#name` replaced by its value. @throws MethodError */
export function resolveReferences(args: Record<string, unknown>, earlier: readonly MethodResponse[]): Record<string, unknown> {
  const resolved: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(args)) {
    if (!key.startsWith('#')) {
      resolved[key] = value;
      continue;
    }
    const name = key.slice(1);
    if (Object.hasOwn(args, name)) throw new MethodError('invalidArguments', `both ${name} and #${name} are given`);
    if (!isReference(value)) throw new MethodError('invalidResultReference', `#${name} is not a result reference`);
    const source = earlier.find(([n, , id]) => id === value.resultOf && n === value.name);
    if (!source) throw new MethodError('invalidResultReference', `no ${value.name} response with id ${value.resultOf} before this call`);
    resolved[name] = evaluatePointer(source[1], value.path);
  }
  return resolved;
}

/** RFC 6901 with `*`. @throws MethodError invalidResultReference when the path does not resolve. */
export function evaluatePointer(root: unknown, path: string): unknown {
  if (path === '') return root;
  if (!path.startsWith('/')) throw new MethodError('invalidResultReference', `the path ${path} does not start with "/"`);
  const tokens = path.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
  return walk(root, tokens, path);
}

function walk(value: unknown, tokens: readonly string[], path: string): unknown {
  if (tokens.length === 0) return value;
  const [token, ...rest] = tokens as [string, ...string[]];
  if (Array.isArray(value)) {
    if (token === '*') {
      return value.flatMap((item) => {
        const r = walk(item, rest, path);
        return Array.isArray(r) ? r : [r];
      });
    }
    if (!/^(0|[1-9][0-9]*)$/.test(token) || Number(token) >= value.length) throw unresolved(path);
    return walk(value[Number(token)], rest, path);
  }
  if (typeof value === 'object' && value !== null && Object.hasOwn(value, token)) {
    return walk((value as Record<string, unknown>)[token], rest, path);
  }
  throw unresolved(path);
}

function unresolved(path: string): MethodError {
  return new MethodError('invalidResultReference', `the path ${path} does not resolve`);
}
