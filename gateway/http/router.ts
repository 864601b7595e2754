// Matches a request to a route by exact path, then by method. Unknown paths get 404,
// known paths with another method 405 with an Allow header; HEAD is served by GET.
import { errorResponse } from './errors.js';
import type { HttpRequest, HttpResponse, Route } from './types.js';

export type Router = ((request: HttpRequest) => Promise<HttpResponse>) & {
  /** The body limit of the route at `path` and its answer past it, when it sets its own. */
  readonly bodyLimit?: (path: string) => BodyLimit | undefined;
};

export interface BodyLimit {
  readonly maxBodyBytes: number;
  readonly tooLarge?: () => HttpResponse;
}

export function createRouter(routes: readonly Route[]): Router {
  const byPath = new Map<string, Route>();
  for (const route of routes) {
    if (byPath.has(route.path)) throw new Error(`duplicate HTTP route ${route.path}`);
    byPath.set(route.path, route);
  }

  const router: Router = async (request) => {
    const route = byPath.get(request.path);
    if (!route) return errorResponse('not_found');
    const handler = route.methods[request.method] ?? (request.method === 'HEAD' ? route.methods['GET'] : undefined);
    if (!handler) return errorResponse('method_not_allowed', { allow: allowed(route).join(', ') });
    return handler(request);
  };
  const bodyLimit = (path: string): BodyLimit | undefined => {
    const found = byPath.get(path);
    if (found?.maxBodyBytes === undefined) return undefined;
    return { maxBodyBytes: found.maxBodyBytes, ...(found.tooLarge ? { tooLarge: found.tooLarge } : {}) };
  };
  return Object.assign(router, { bodyLimit });
}

function allowed(route: Route): string[] {
  const methods = Object.keys(route.methods);
  if (methods.includes('GET') && !methods.includes('HEAD')) methods.push('HEAD');
  return methods;
}
