// RFC 8785 JSON Canonicalization Scheme. LNMP signs the canonical form of its JSON objects,
// so two implementations must produce identical bytes: keys sorted by UTF-16 code units,
// no whitespace, ECMAScript number and string serialisation.
import { LnmpError } from './errors.js';

export function canonicalize(value: unknown): string {
  return serialize(value, 0);
}

const MAX_DEPTH = 64;

function serialize(value: unknown, depth: number): string {
  if (depth > MAX_DEPTH) throw new LnmpError('invalid_type', 'JSON nesting too deep');
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new LnmpError('invalid_type', 'non-finite number cannot be canonicalized');
      // JSON.stringify implements the ECMAScript Number::toString that RFC 8785 §3.2.2.3 requires.
      return JSON.stringify(value);
    case 'string':
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => serialize(v, depth + 1)).join(',')}]`;
      const obj = value as Record<string, unknown>;
      // Default sort compares UTF-16 code units, which is what RFC 8785 §3.2.3 specifies.
      const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${serialize(obj[k], depth + 1)}`).join(',')}}`;
    }
    default:
      throw new LnmpError('invalid_type', `cannot canonicalize a ${typeof value}`);
  }
}
