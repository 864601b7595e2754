// Limits of `lnmp-gateway import`, in one place.

/** How long connecting (TCP and TLS) to the legacy server may take. */
export const LEGACY_CONNECT_TIMEOUT_MS = 15_000;
/** How long the legacy server may take to greet. */
export const LEGACY_GREETING_TIMEOUT_MS = 15_000;
/** A legacy connection silent this long is given up (a FETCH of large messages stays well under). */
export const LEGACY_SOCKET_TIMEOUT_MS = 5 * 60_000;
/** Messages fetched from the legacy server per FETCH. */
export const FETCH_BATCH = 50;
/** Bytes fetched per FETCH at most, so a batch of large messages does not fill memory. */
export const FETCH_BATCH_BYTES = 32 * 1024 * 1024;
