// Named limits of the SMTP front-end, in one place so they are documented and can be
// made configurable. smtp-server's own fixed abuse limits are listed here too, for reference.

/** Largest message the MX accepts, advertised as `SIZE` (RFC 1870); larger DATA gets 552 5.3.4. */
export const MX_MAX_MESSAGE_BYTES = 25 * 1024 * 1024;
/** Recipients per transaction; RFC 5321 §4.5.3.1.8 requires at least 100. */
export const MX_MAX_RECIPIENTS = 100;
/** Concurrent connections before new ones are refused with 421. */
export const MX_MAX_CLIENTS = 1_000;
/** Idle time before a session is closed (RFC 5321 §4.5.3.2.7 suggests at least 5 minutes). */
export const MX_SOCKET_TIMEOUT_MS = 5 * 60 * 1000;
/** How long `close()` lets open sessions finish before they are cut with 421. */
export const MX_CLOSE_TIMEOUT_MS = 2_000;
/**
 * Unrecognised commands before smtp-server answers `421 Error: too many unrecognized
 * commands` and closes; fixed inside smtp-server 3.21 (not an option), checked by a test.
 */
export const SMTP_SERVER_MAX_UNRECOGNIZED_COMMANDS = 10;
