// Limits of the HTTP listener, in one place so they can be found, documented and tuned.

/** Time a client has to send all request headers. */
export const HEADERS_TIMEOUT_MS = 10_000;
/** Time a client has to send a whole request. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** How long an idle keep-alive connection is kept open. */
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** Largest total size of request headers, in bytes. */
export const MAX_HEADER_BYTES = 16 * 1024;
/**
 * Largest request body, in bytes, of routes that set no limit of their own (`Route.maxBodyBytes`;
 * the JMAP API does). Those bodies are Autodiscover requests (well under 1 KiB); a larger body
 * is answered 413 and the connection closed.
 */
export const MAX_BODY_BYTES = 64 * 1024;
/** On shutdown, how long requests in flight may take before their connections are cut. */
export const SHUTDOWN_GRACE_MS = 5_000;
/**
 * Bytes a streamed response (Server-Sent Events) may have waiting for a client that does not
 * read; past it the stream is ended rather than buffered without bound.
 */
export const MAX_STREAM_BUFFER_BYTES = 256 * 1024;
/** How often a Server-Sent Events stream sends a comment, so proxies and clients see it alive. */
export const SSE_PING_INTERVAL_MS = 25_000;
