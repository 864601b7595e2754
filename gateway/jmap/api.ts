// Runs the method calls of one request in order (RFC 8620 §3.3-3.7): result references
// resolved against earlier responses, the capability and account checked, and every failure
// of one call turned into its ["error", ...] response without stopping the others.
import type { Logger } from '../log.js';
import { isServiceError } from '../../services/errors.js';
import { CORE } from './capabilities.js';
import type { MethodContext } from './context.js';
import { MethodError } from './errors.js';
import type { JmapMethod } from './method.js';
import type { JmapRequest } from './request.js';
import { resolveReferences, type MethodResponse } from './result-reference.js';

export interface JmapResponse {
  methodResponses: MethodResponse[];
  createdIds?: Record<string, string>;
  sessionState: string;
}

export async function runRequest(
  request: JmapRequest, ctx: MethodContext, opts: { methods: ReadonlyMap<string, JmapMethod>; sessionState: string; logger: Logger },
): Promise<JmapResponse> {
  const using = new Set(request.using);
  const responses: MethodResponse[] = [];
  for (const [name, args, callId] of request.methodCalls) {
    try {
      const method = opts.methods.get(name);
      if (!method || (method.capability !== CORE && !using.has(method.capability))) throw new MethodError('unknownMethod', `unknown method ${name}`);
      const resolved = resolveReferences(args, responses);
      if (method.capability !== CORE && typeof resolved['accountId'] === 'string' && resolved['accountId'] !== ctx.accountId) {
        throw new MethodError('accountNotFound');
      }
      responses.push([name, await method.call(resolved, ctx), callId]);
    } catch (err) {
      responses.push(['error', errorOf(err, name, opts.logger), callId]);
    }
  }
  return { methodResponses: responses, ...(request.createdIds ? { createdIds: request.createdIds } : {}), sessionState: opts.sessionState };
}

function errorOf(err: unknown, name: string, logger: Logger): Record<string, unknown> {
  if (err instanceof MethodError) return err.toJSON();
  if (isServiceError(err, 'session_expired')) return new MethodError('serverFail', 'the login expired; authenticate again').toJSON();
  logger.error('JMAP method failed', { method: name, err });
  return new MethodError('serverFail').toJSON();
}
