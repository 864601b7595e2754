// Matches a request to a route by path, then by method. Exact paths win over paths with
// `:name` segments, which are tried in the order given. Unknown paths get 404, known paths
// with another method 405 with an Allow header; HEAD is served by GET.
import { errorResponse } from './errors.js';
import type { AcceptWebSocket, Handler, HttpRequest, HttpRequestHead, HttpResponse, Route } from './types.js';

export type Router = ((request: HttpRequest) => Promise<HttpResponse>) & {
  /** The body limit of the route at `path` and its answer past it, when it sets its own. */
  readonly bodyLimit?: (path: string) => BodyLimit | undefined;
  /**
   * The `beforeBody` check of the route the request goes to, run on its head: a response
   * refuses the request before its body is read. Undefined (let through) when no route and
   * method match or the route has no check; the router answers those as usual.
   */
  readonly beforeBody?: (head: HttpRequestHead) => Promise<HttpResponse | undefined>;
  /** The WebSocket upgrade handler of the route at `path`, when it takes upgrades. */
  readonly upgrade?: (path: string) => RouteUpgrade | undefined;
};

/** A route's upgrade handler, given the request (the route's `params` are filled in). */
export type RouteUpgrade = (request: HttpRequest, accept: AcceptWebSocket) => Promise<HttpResponse | undefined>;

export interface BodyLimit {
  readonly maxBodyBytes: number;
  readonly tooLarge?: () => HttpResponse;
}

interface Match {
  readonly route: Route;
  readonly params: Readonly<Record<string, string>>;
}

/** A route whose path has `:name` segments, split once. */
interface PatternRoute {
  readonly route: Route;
  /** Literal segments as strings; `:name` segments as { name, the whole-value rule }. */
  readonly segments: readonly (string | { readonly name: string; readonly rule?: RegExp })[];
}

export function createRouter(routes: readonly Route[]): Router {
  const byPath = new Map<string, Route>();
  const patterns: PatternRoute[] = [];
  const seen = new Set<string>();
  for (const route of routes) {
    if (seen.has(route.path)) throw new Error(`duplicate HTTP route ${route.path}`);
    seen.add(route.path);
    const segments = route.path.split('/').map((s) => (s.startsWith(':') ? param(route, s.slice(1)) : s));
    if (segments.every((s) => typeof s === 'string')) byPath.set(route.path, route);
    else patterns.push({ route, segments });
  }

  const match = (path: string): Match | undefined => {
    const exact = byPath.get(path);
    if (exact) return { route: exact, params: {} };
    const parts = path.split('/');
    for (const pattern of patterns) {
      const params = matchSegments(pattern, parts);
      if (params) return { route: pattern.route, params };
    }
    return undefined;
  };

  const router: Router = async (request) => {
    const found = match(request.path);
    if (!found) return errorResponse('not_found');
    const { route, params } = found;
    const handler = handlerOf(route, request.method);
    if (!handler) return errorResponse('method_not_allowed', { allow: allowed(route).join(', ') });
    return handler({ ...request, params });
  };
  const bodyLimit = (path: string): BodyLimit | undefined => {
    const found = match(path)?.route;
    if (found?.maxBodyBytes === undefined) return undefined;
    return { maxBodyBytes: found.maxBodyBytes, ...(found.tooLarge ? { tooLarge: found.tooLarge } : {}) };
  };
  const beforeBody: Router['beforeBody'] = async (head) => {
    const found = match(head.path);
    const check = found?.route.beforeBody;
    if (!check || !handlerOf(found.route, head.method)) return undefined;
    return check({ ...head, params: found.params });
  };
  const upgrade: Router['upgrade'] = (path) => {
    const found = match(path);
    const handler = found?.route.upgrade;
    return handler && ((request, accept) => handler({ ...request, params: found.params }, accept));
  };
  return Object.assign(router, { bodyLimit, beforeBody, upgrade });
}

/** The `:name` values when every segment matches, else undefined. */
function matchSegments(pattern: PatternRoute, parts: readonly string[]): Record<string, string> | undefined {
  if (parts.length !== pattern.segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, segment] of pattern.segments.entries()) {
    const part = parts[i] ?? '';
    if (typeof segment === 'string') {
      if (part !== segment) return undefined;
      continue;
    }
    const value = decodeSegment(part);
    if (value === undefined || value === '') return undefined;
    if (segment.rule && !segment.rule.test(value)) return undefined;
    params[segment.name] = value;
  }
  return params;
}

function decodeSegment(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined; // a malformed %-escape matches nothing
  }
}

/** A `:name` segment; its rule must match the whole value, whether or not it is anchored. */
function param(route: Route, name: string): { name: string; rule?: RegExp } {
  const rule = route.params?.[name];
  return rule ? { name, rule: new RegExp(`^(?:${rule.source})$`, rule.flags.replace(/[gy]/g, '')) } : { name };
}

/** The handler of `method` at the route; HEAD falls back to GET. */
function handlerOf(route: Route, method: string): Handler | undefined {
  return route.methods[method] ?? (method === 'HEAD' ? route.methods['GET'] : undefined);
}

function allowed(route: Route): string[] {
  const methods = Object.keys(route.methods);
  if (methods.includes('GET') && !methods.includes('HEAD')) methods.push('HEAD');
  return methods;
}
