// Responses that are not JSON (XML, plain text, configuration profiles), with the same
// caching header as the JSON ones: what they say depends on settings that may change.
import type { HttpResponse } from './types.js';

export const XML_CONTENT_TYPE = 'application/xml; charset=utf-8';

export function textResponse(status: number, contentType: string, body: string, headers: Readonly<Record<string, string>> = {}): HttpResponse {
  return { status, headers: { 'content-type': contentType, 'cache-control': 'no-store', ...headers }, body };
}
