// The HTTP front-end's route list. Later work adds JMAP, the pay page, autoconfig and
// .well-known routes here.
import { createRouter } from './router.js';
import type { Router } from './router.js';
import { healthzRoute } from './routes/healthz.js';

export interface HttpDependencies {
  readonly version: string;
}

export function createGatewayRouter(deps: HttpDependencies): Router {
  return createRouter([healthzRoute(deps.version)]);
}
