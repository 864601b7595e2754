// GET /healthz: liveness for load balancers and container orchestrators. It answers as
// soon as the process serves HTTP; it does not probe the database or Lightning.
import { jsonResponse } from '../json.js';
import type { Route } from '../types.js';

export function healthzRoute(version: string): Route {
  return {
    path: '/healthz',
    methods: { GET: () => jsonResponse(200, { status: 'ok', version }) },
  };
}
