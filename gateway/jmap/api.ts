// Runs the method calls of one request in order (RFC 8620 §3.3-3.7): result references
// resolved against earlier responses, the capability and account checked, and every failure
// of one call turned into its ["error", ...] response without stopping the others.
// RequestRunner adds what every transport (HTTP, WebSocket) shares: the session state and
// one maxConcurrentRequests count per account.
import type { Logger } from '../log.js';
import { isServiceError } from '../../services/errors.js';
import type { UnlockedAccount } from '../../services/unlocked-account.js';
import { AccountSlots } from './account-slots.js';
import { CORE } from './capabilities.js';
import type { JmapServices, MethodContext } from './context.js';
import { MethodError, type RequestProblem } from './errors.js';
import { accountIdOf } from './ids.js';
import { MAX_CONCURRENT_REQUESTS } from './limits.js';
import { followUpsOf, type JmapMethod } from './method.js';
import { METHODS } from './methods/index.js';
import type { JmapRequest } from './request.js';
import { resolveReferences, type MethodResponse } from './result-reference.js';
import { offersOf, sessionResource } from './session.js';

export interface JmapResponse {
  methodResponses: MethodResponse[];
  createdIds?: Record<string, string>;
  sessionState: string;
}

export async function runRequest(
  request: JmapRequest, session: Omit<MethodContext, 'createdIds'>, opts: { methods: ReadonlyMap<string, JmapMethod>; sessionState: string; logger: Logger },
): Promise<JmapResponse> {
  const using = new Set(request.using);
  const responses: MethodResponse[] = [];
  const ctx: MethodContext = { ...session, using, createdIds: new Map(Object.entries(request.createdIds ?? {})) };
  for (const [name, args, callId] of request.methodCalls) {
    try {
      const method = opts.methods.get(name);
      if (!method || (method.capability !== CORE && !using.has(method.capability))) throw new MethodError('unknownMethod', `unknown method ${name}`);
      const resolved = resolveReferences(args, responses);
      if (method.capability !== CORE && typeof resolved['accountId'] === 'string' && resolved['accountId'] !== ctx.accountId) {
        throw new MethodError('accountNotFound');
      }
      const result = await method.call(resolved, ctx);
      responses.push([name, result, callId]);
      for (const [followUp, args] of followUpsOf(result)) responses.push([followUp, args, callId]);
    } catch (err) {
      responses.push(['error', errorOf(err, name, opts.logger), callId]);
    }
  }
  return { methodResponses: responses, ...(request.createdIds ? { createdIds: Object.fromEntries(ctx.createdIds) } : {}), sessionState: opts.sessionState };
}

function errorOf(err: unknown, name: string, logger: Logger): Record<string, unknown> {
  if (err instanceof MethodError) return err.toJSON();
  if (isServiceError(err, 'session_expired')) return new MethodError('serverFail', 'the login expired; authenticate again').toJSON();
  logger.error('JMAP method failed', { method: name, err });
  return new MethodError('serverFail').toJSON();
}

export interface RequestRunnerDependencies {
  readonly services: JmapServices;
  readonly baseUrl: () => string;
  readonly logger: Logger;
}

export type RunResult = { readonly ok: true; readonly response: JmapResponse } | { readonly ok: false; readonly problem: RequestProblem };

/** Runs checked requests of logged-in accounts, at most MAX_CONCURRENT_REQUESTS of one account at once. */
export class RequestRunner {
  readonly #deps: RequestRunnerDependencies;
  readonly #slots = new AccountSlots(MAX_CONCURRENT_REQUESTS);

  constructor(deps: RequestRunnerDependencies) {
    this.#deps = deps;
  }

  async run(request: JmapRequest, account: UnlockedAccount): Promise<RunResult> {
    if (!this.#slots.take(account.userId)) {
      return { ok: false, problem: { code: 'limit', detail: `at most ${MAX_CONCURRENT_REQUESTS} requests at once`, limit: 'maxConcurrentRequests', status: 429 } };
    }
    try {
      // A received LNMP envelope is shown with its exact size (see MessageService.rewrapArrivals).
      await this.#deps.services.messages.rewrapArrivals(account);
      const sessionState = sessionResource(this.#deps.baseUrl(), account, offersOf(this.#deps.services))['state'] as string;
      const session = { ...this.#deps.services, account, accountId: accountIdOf(account.userId) };
      return { ok: true, response: await runRequest(request, session, { methods: METHODS, sessionState, logger: this.#deps.logger }) };
    } finally {
      this.#slots.release(account.userId);
    }
  }
}
