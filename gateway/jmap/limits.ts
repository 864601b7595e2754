// Limits of the JMAP front-end, in one place: the ones advertised in the session's core
// capability (RFC 8620 §2) and the ones that bound our own work (login cache, query size).

/** Largest API request body, in bytes (`maxSizeRequest`); a larger one is refused with `limit`. */
export const MAX_SIZE_REQUEST = 10_000_000;
/** Largest upload, in bytes (`maxSizeUpload`): the largest message the mailbox stores. */
export const MAX_SIZE_UPLOAD = 50 * 1024 * 1024;
/**
 * Largest WebSocket message read whole (RFC 8887): one over maxSizeRequest up to this is answered
 * with a `limit` RequestError; a larger one closes the connection (1009), as reading it just to
 * refuse it would hold that much memory.
 */
export const MAX_WEBSOCKET_MESSAGE_BYTES = 2 * MAX_SIZE_REQUEST;
/** Bytes of responses and pushes a WebSocket client may leave unread; past it the connection is cut. */
export const MAX_WEBSOCKET_BUFFER_BYTES = 4 * MAX_SIZE_REQUEST;
/** Uploads in flight per account (`maxConcurrentUpload`). */
export const MAX_CONCURRENT_UPLOAD = 4;
/** API requests in flight per account (`maxConcurrentRequests`); one more is refused with `limit`. */
export const MAX_CONCURRENT_REQUESTS = 4;
/** Method calls in one request (`maxCallsInRequest`). */
export const MAX_CALLS_IN_REQUEST = 16;
/** Ids in one /get (`maxObjectsInGet`); more is `requestTooLarge`. */
export const MAX_OBJECTS_IN_GET = 500;
/** Objects created, updated and destroyed in one /set (`maxObjectsInSet`). */
export const MAX_OBJECTS_IN_SET = 500;
/** Collations for sorting and filtering (`collationAlgorithms`, RFC 4790 names); the default one. */
export const COLLATION_ALGORITHMS: readonly string[] = ['i;unicode-casemap', 'i;ascii-casemap'];
/** How deep Email/query FilterOperators may nest; deeper is invalidArguments. */
export const MAX_FILTER_DEPTH = 32;
/** Message summaries Email/query reads at once for hasAttachment and the from/to/subject/sentAt sorts (each a header and a preview, ~1-2 KB). */
export const QUERY_PARSE_BATCH = 500;

/** Most ids one Email/query returns; a larger `limit` is lowered to this and said so in the reply. */
export const MAX_QUERY_LIMIT = 1000;
/** Characters of the Email `preview` (RFC 8621 §4.1.4: at most 256); the stored summaries' limit. */
export { PREVIEW_CHARS } from '../../converters/message-summary.js';

/**
 * How long a successful Basic login is remembered, so a client sending the same credentials on
 * every request pays one scrypt per this period rather than per request.
 */
export const AUTH_CACHE_TTL_MS = 5 * 60 * 1000;
/** Credentials remembered at once; the oldest is forgotten first. */
export const AUTH_CACHE_MAX_ENTRIES = 1000;
/**
 * After a cached login is forgotten its keys are zeroed this much later, so requests that
 * took it just before finish (the HTTP request timeout).
 */
export const AUTH_LOCK_GRACE_MS = 30_000;

/** Recipients of one EmailSubmission (rcptTo); more is `tooManyRecipients`. The SMTP submission's limit too. */
export const MAX_SUBMISSION_RECIPIENTS = 100;
