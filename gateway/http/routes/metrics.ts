// GET /metrics: the gateway's Prometheus metrics in the text exposition format (version
// 0.0.4). The series are listed in docs/architecture.md ("Observability"). Counts only, no
// addresses or ids; operators who do not want them public restrict the path at their proxy.
import { textResponse } from '../text.js';
import type { Route } from '../types.js';

/** What the route needs of the gateway's metrics (`GatewayMetrics` fits). */
export interface MetricsSource {
  readonly contentType: string;
  exposition(): Promise<string>;
}

export function metricsRoute(metrics: MetricsSource): Route {
  return {
    path: '/metrics',
    methods: { GET: async () => textResponse(200, metrics.contentType, await metrics.exposition()) },
  };
}
