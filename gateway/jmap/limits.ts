// Limits of the JMAP front-end, in one place: the ones advertised in the session's core
// capability (RFC 8620 §2) and the ones that bound our own work (login cache, query size).

/** Largest API request body, in bytes (`maxSizeRequest`); a larger one is refused with `limit`. */
export const MAX_SIZE_REQUEST = 10_000_000;
/** Largest upload, in bytes (`maxSizeUpload`): the largest message the mailbox stores. */
export const MAX_SIZE_UPLOAD = 50 * 1024 * 1024;
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
export const COLLATION_ALGORITHMS: readonly string[] = ['i;unicode-casemap'];

/** Most ids one Email/query returns; a larger `limit` is lowered to this and said so in the reply. */
export const MAX_QUERY_LIMIT = 1000;
/** Characters of the Email `preview` (RFC 8621 §4.1.4: at most 256). */
export const PREVIEW_CHARS = 256;

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
