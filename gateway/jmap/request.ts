// Reading a JMAP API request body (RFC 8620 §3.3): JSON of the Request shape, checked with
// zod, or the request-level problem that answers it.
import { z } from 'zod';
import type { HttpRequest, HttpResponse } from '../http/types.js';
import { KNOWN_CAPABILITIES } from './capabilities.js';
import { requestError, type RequestProblem } from './errors.js';
import { MAX_CALLS_IN_REQUEST } from './limits.js';

const Invocation = z.tuple([z.string(), z.record(z.string(), z.unknown()), z.string()]);

const JmapRequestSchema = z.object({
  using: z.array(z.string()),
  methodCalls: z.array(Invocation),
  createdIds: z.record(z.string(), z.string()).optional(),
});

export type JmapRequest = z.infer<typeof JmapRequestSchema>;
export type Invocation = z.infer<typeof Invocation>;

export type ParsedRequest = { readonly ok: true; readonly request: JmapRequest } | { readonly ok: false; readonly response: HttpResponse };
export type CheckedRequest = { readonly ok: true; readonly request: JmapRequest } | { readonly ok: false; readonly problem: RequestProblem };

export function parseJmapRequest(http: HttpRequest): ParsedRequest {
  const contentType = String(http.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (contentType !== 'application/json') return fail({ code: 'notJSON', detail: 'the content type is not application/json' });
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(http.body));
  } catch {
    return fail({ code: 'notJSON', detail: 'the body is not UTF-8 JSON' });
  }
  const checked = checkJmapRequest(json, 'body');
  return checked.ok ? checked : fail(checked.problem);
}

/**
 * A parsed JSON value checked as a Request (shape, capabilities, call count); `what` names it
 * in the detail ("body", or "message" over WebSocket). Other members (`@type`, `id`) are dropped.
 */
export function checkJmapRequest(json: unknown, what: string): CheckedRequest {
  const parsed = JmapRequestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, problem: { code: 'notRequest', detail: `the ${what} is not a JMAP request: ${issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''}${issue.message}` } };
  }
  const request = parsed.data;
  const unknown = request.using.find((c) => !KNOWN_CAPABILITIES.has(c));
  if (unknown !== undefined) return { ok: false, problem: { code: 'unknownCapability', detail: `the server does not support the capability ${unknown}` } };
  if (request.methodCalls.length > MAX_CALLS_IN_REQUEST) {
    return { ok: false, problem: { code: 'limit', detail: `at most ${MAX_CALLS_IN_REQUEST} method calls per request`, limit: 'maxCallsInRequest' } };
  }
  return { ok: true, request };
}

function fail(problem: RequestProblem): ParsedRequest {
  return { ok: false, response: requestError(problem.code, problem.detail, problem.limit ? { limit: problem.limit } : {}) };
}
