// Named limits of the SMTP front-end, in one place so they are documented and can be
// made configurable. smtp-server's own fixed abuse limits are listed here too, for reference.
import { MimeLimits } from '../../converters/index.js';

/** Room kept for the Received and Authentication-Results headers the gateway prepends. */
export const TRACE_HEADER_ALLOWANCE_BYTES = 64 * 1024;
/**
 * Largest message the MX accepts, advertised as `SIZE` (RFC 1870); larger DATA gets 552 5.3.4.
 * With the trace headers it still fits what the converters take (MimeLimits.MAX_MIME_BYTES).
 */
export const MX_MAX_MESSAGE_BYTES = MimeLimits.MAX_MIME_BYTES - TRACE_HEADER_ALLOWANCE_BYTES;
/** Recipients per transaction; RFC 5321 §4.5.3.1.8 requires at least 100. */
export const MX_MAX_RECIPIENTS = 100;
/**
 * Longest command line, CRLF not counted. A longer one, complete or still arriving, gets
 * `421 Error: Command line too long` and the connection is closed, so no client makes us
 * buffer an endless line. RFC 5321 §4.5.3.1.4 allows 512 octets plus what extensions add
 * (SIZE, DSN, SMTPUTF8: well under 1,000); 2,048 is Postfix's `line_length_limit`.
 * smtp-server's own default (16 KB) is sized for AUTH tokens, and the MX has no AUTH.
 */
export const MX_MAX_COMMAND_LINE_BYTES = 2_048;
/** Longest command line on submission: AUTH PLAIN carries address and password in one line. */
export const SUBMISSION_MAX_COMMAND_LINE_BYTES = 8 * 1024;
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
/**
 * How long smtp-server holds its greeting back; a client that sends anything sooner (an
 * early talker) is answered `421 <hostname> You talk too soon` and cut off without a
 * greeting. Fixed inside smtp-server 3.21 (not an option); the reply is checked by a test.
 */
export const SMTP_SERVER_GREETING_DELAY_MS = 100;
