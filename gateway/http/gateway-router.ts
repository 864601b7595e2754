// The HTTP front-end's route list; optional parts (JMAP, the pay page, ...) are added when
// their dependencies are given.
import type { IdentityDocument } from '../../core/index.js';
import { jmapRoutes, type JmapDependencies } from '../jmap/routes.js';
import type { ClientSetup } from './client-setup.js';
import { createRouter } from './router.js';
import type { Router } from './router.js';
import { autoconfigRoutes } from './routes/autoconfig.js';
import { autodiscoverRoutes } from './routes/autodiscover.js';
import { healthzRoute } from './routes/healthz.js';
import { lnmpIdentityRoute, lnmpUserRoute, type UserDocuments } from './routes/lnmp-identity.js';
import { metricsRoute, type MetricsSource } from './routes/metrics.js';
import { readyzRoute, type ReadinessChecks } from './routes/readyz.js';
import { mobileconfigRoute } from './routes/mobileconfig.js';
import { mtaStsRoute } from './routes/mta-sts.js';
import { payRoutes, type PaySource } from './routes/pay.js';

export interface HttpDependencies {
  readonly version: string;
  /** Hosts, ports and hosted domains for the client-setup routes. */
  readonly setup: ClientSetup;
  /** The gateway's signed identity document, once loaded (served at /.well-known/lnmp). */
  readonly identityDocument?: () => IdentityDocument | undefined;
  /** Hosted users' signed identity documents (/.well-known/lnmp/users/:domain/:username). */
  readonly userDocuments?: UserDocuments;
  /** The JMAP session and API routes, when the gateway serves JMAP. */
  readonly jmap?: JmapDependencies;
  /** The postage pay page (/pay/:id); its dev-pay button only with devMode. */
  readonly pay?: { readonly source: PaySource; readonly devMode: boolean };
  /** Prometheus metrics at /metrics, when the gateway keeps them. */
  readonly metrics?: MetricsSource;
  /** The named checks /readyz runs (database, redis, lightning). */
  readonly readiness?: ReadinessChecks;
}

export function createGatewayRouter(deps: HttpDependencies): Router {
  return createRouter([
    healthzRoute(deps.version),
    ...(deps.readiness ? [readyzRoute(deps.readiness)] : []),
    ...(deps.metrics ? [metricsRoute(deps.metrics)] : []),
    ...autoconfigRoutes(deps.setup),
    ...autodiscoverRoutes(deps.setup),
    mtaStsRoute(deps.setup),
    mobileconfigRoute(deps.setup),
    lnmpIdentityRoute(deps.identityDocument ?? (() => undefined)),
    ...(deps.userDocuments ? [lnmpUserRoute(deps.userDocuments)] : []),
    ...(deps.jmap ? jmapRoutes(deps.jmap) : []),
    ...(deps.pay ? payRoutes(deps.pay.source, { devMode: deps.pay.devMode }) : []),
  ]);
}
