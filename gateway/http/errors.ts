// The HTTP front-end's error catalogue: each error a stable code (sent as the JSON body's
// "error") and its status. Routes and the router answer errors only through here.
import { jsonResponse } from './json.js';
import type { HttpResponse } from './types.js';

export const HTTP_ERRORS = {
  bad_request: 400,
  not_found: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
  internal_error: 500,
  not_ready: 503,
} as const;

export type HttpErrorCode = keyof typeof HTTP_ERRORS;

export function errorResponse(code: HttpErrorCode, headers: Readonly<Record<string, string>> = {}): HttpResponse {
  return jsonResponse(HTTP_ERRORS[code], { error: code }, headers);
}
