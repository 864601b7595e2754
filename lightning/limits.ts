// Limits of the Lightning layer, named once. Backends take overrides in their options.

/** The longest description `invoices` encodes (BOLT11's 639 bytes of a 1023-word field). */
export const MAX_DESCRIPTION_BYTES = 639;

/** Longest invoice lifetime accepted when creating one (postage invoices live hours, not weeks). */
export const MAX_INVOICE_EXPIRY_SECONDS = 7 * 24 * 3600;

/** Largest amount accepted: all bitcoin there will ever be. */
export const MAX_AMOUNT_SATS = 21_000_000 * 100_000_000;

/** min_final_cltv_expiry_delta of hold invoices when the caller gives none (LND's default). */
export const DEFAULT_HOLD_CLTV_DELTA = 80;

/** Bounds of a caller's cltvDelta: BOLT11's default at least, two weeks of blocks at most. */
export const MIN_CLTV_DELTA = 18;
export const MAX_CLTV_DELTA = 2016;

/** The dev backend has no chain; it counts blocks as ten minutes to turn CLTV into a deadline. */
export const DEV_BLOCK_INTERVAL_MS = 600_000;

/** The lnd backend turns an HTLC's CLTV timeout (a block height) into a time at this many ms a block. */
export const LND_BLOCK_INTERVAL_MS = 600_000;

/** How long one unary call to LND may take before it is `backend_unreachable` (gRPC sets no deadline). */
export const LND_CALL_TIMEOUT_MS = 30_000;

/** Backoff of an invoice subscription after its stream fails: first wait, then doubling up to the cap. */
export const LND_RESUBSCRIBE_MIN_MS = 250;
export const LND_RESUBSCRIBE_MAX_MS = 5_000;

/** Payment hashes of hold invoices the lnd backend remembers creating (LND does not say which are hold). */
export const LND_MAX_REMEMBERED_HOLD_HASHES = 100_000;

/** Largest macaroon or certificate file read for lightning.lnd (real ones are a few hundred bytes). */
export const LND_MAX_CREDENTIAL_FILE_BYTES = 64 * 1024;
