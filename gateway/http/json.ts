// JSON responses. Every JSON reply of the HTTP front-end goes through here so content
// type and caching headers are the same everywhere.
import type { HttpResponse } from './types.js';

export function jsonResponse(status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): HttpResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}
