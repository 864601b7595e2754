// The HTTP front-end's route list. Later work adds the pay page and the LNMP .well-known
// routes here.
import type { IdentityDocument } from '../../core/index.js';
import { jmapRoutes, type JmapDependencies } from '../jmap/routes.js';
import type { ClientSetup } from './client-setup.js';
import { createRouter } from './router.js';
import type { Router } from './router.js';
import { autoconfigRoutes } from './routes/autoconfig.js';
import { autodiscoverRoutes } from './routes/autodiscover.js';
import { healthzRoute } from './routes/healthz.js';
import { lnmpIdentityRoute } from './routes/lnmp-identity.js';
import { mobileconfigRoute } from './routes/mobileconfig.js';
import { mtaStsRoute } from './routes/mta-sts.js';

export interface HttpDependencies {
  readonly version: string;
  /** Hosts, ports and hosted domains for the client-setup routes. */
  readonly setup: ClientSetup;
  /** The gateway's signed identity document, once loaded (served at /.well-known/lnmp). */
  readonly identityDocument?: () => IdentityDocument | undefined;
  /** The JMAP session and API routes, when the gateway serves JMAP. */
  readonly jmap?: JmapDependencies;
}

export function createGatewayRouter(deps: HttpDependencies): Router {
  return createRouter([
    healthzRoute(deps.version),
    ...autoconfigRoutes(deps.setup),
    ...autodiscoverRoutes(deps.setup),
    mtaStsRoute(deps.setup),
    mobileconfigRoute(deps.setup),
    lnmpIdentityRoute(deps.identityDocument ?? (() => undefined)),
    ...(deps.jmap ? jmapRoutes(deps.jmap) : []),
  ]);
}
