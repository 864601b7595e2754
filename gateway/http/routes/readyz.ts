// GET /readyz: readiness for load balancers and orchestrators. Unlike /healthz it runs the
// named checks it is given (database, Redis when configured, the Lightning backend), each
// within READINESS_CHECK_TIMEOUT_MS and all at once: 200 when every one passes, else 503.
// A failure is reported by its stable error code, never by its message, which may name a
// connection string.
import { jsonResponse } from '../json.js';
import type { Route } from '../types.js';

/** How long one check may take before it counts as failed. */
export const READINESS_CHECK_TIMEOUT_MS = 2_000;

/** Resolves when the dependency answers; rejects (or takes too long) when it does not. */
export type ReadinessCheck = () => Promise<unknown>;
/** Checks by name, read at each request, so checks added after the route was built are run. */
export type ReadinessChecks = Readonly<Record<string, ReadinessCheck>>;

export function readyzRoute(checks: ReadinessChecks, timeoutMs = READINESS_CHECK_TIMEOUT_MS): Route {
  return {
    path: '/readyz',
    methods: {
      GET: async () => {
        const results = await Promise.all(Object.entries(checks).map(async ([name, check]) => [name, await outcome(check, timeoutMs)] as const));
        const ready = results.every(([, result]) => result === 'ok');
        return jsonResponse(ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', checks: Object.fromEntries(results) });
      },
    },
  };
}

async function outcome(check: ReadinessCheck, timeoutMs: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`error: no answer within ${timeoutMs} ms`), timeoutMs);
  });
  try {
    return await Promise.race([
      Promise.resolve()
        .then(check)
        .then(
          () => 'ok',
          (err: unknown) => `error: ${shortReason(err)}`,
        ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Codes that are safe to show: our stable codes (`storage_unavailable`) and errno names (`ECONNREFUSED`). */
const SAFE_CODE = /^(?:[a-z][a-z0-9_]{0,39}|E[A-Z0-9_]{1,39})$/;

/** The error's code and its causes' codes, e.g. `storage_unavailable (ECONNREFUSED)`; never a message. */
export function shortReason(err: unknown): string {
  const codes: string[] = [];
  let names = '';
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && SAFE_CODE.test(code) && !codes.includes(code)) codes.push(code);
    if (!names && e instanceof Error && e.name !== 'Error' && /^[A-Za-z]{1,40}$/.test(e.name)) names = e.name;
  }
  if (codes.length > 0) return codes.length === 1 ? codes[0]! : `${codes[0]} (${codes.slice(1).join(', ')})`;
  return names || 'failed';
}
