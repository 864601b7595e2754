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
