// Named limits of the IMAP front-end, in one place. The engine's own fixed limits are
// listed too, for reference (they are not options of wildduck's imap-core 1.46).
import { MAX_MESSAGE_BYTES } from '../../services/message-service.js';

/** Largest APPEND literal, advertised as APPENDLIMIT; larger gets `NO [TOOBIG]`. */
export const IMAP_MAX_MESSAGE_BYTES = MAX_MESSAGE_BYTES;
/**
 * Longest command, literals of commands other than APPEND included, before the connection is
 * ended with `* BYE Command line too long` (the engine itself buffers lines without bound).
 * Long UID sets of real clients stay far below it; Dovecot's default is 64 KiB too.
 */
export const IMAP_MAX_COMMAND_BYTES = 64 * 1024;
/** Inactivity before the connection is closed with BYE (RFC 3501 §5.4: at least 30 minutes). */
export const IMAP_SOCKET_TIMEOUT_MS = 30 * 60 * 1000 + 37 * 1000;
/** Longest IDLE before the engine ends it with BYE; clients re-IDLE well before (RFC 2177: 29 min). */
export const IMAP_IDLE_TIMEOUT_MS = 30 * 60 * 1000;
/** How long `close()` lets sessions finish before they are cut with `* BYE System shutdown`. */
export const IMAP_CLOSE_TIMEOUT_MS = 2_000;
/** Messages decrypted and answered per round trip to the database when FETCH needs bodies. */
export const IMAP_FETCH_BATCH = 100;
/** Messages per round trip when FETCH needs only their headers (ENVELOPE, HEADER.FIELDS): summaries, ~1 KiB each. */
export const IMAP_FETCH_HEADER_BATCH = 500;
/** Metadata rows per round trip when FETCH needs no body (FLAGS, UID, sizes, dates). */
export const IMAP_FETCH_META_BATCH = 5_000;
/** Metadata-only FETCH lines (fetch-lines.ts) joined into one write to the connection. */
export const FETCH_LINES_PER_WRITE = 500;
/**
 * Mailboxes whose UID list and keywords SELECT keeps per process (least recently selected go
 * first): 4 bytes per UID, so 1,000 mailboxes of 10k messages hold 40 MB at most.
 */
export const IMAP_SELECT_CACHE_MAILBOXES = 1_000;
/**
 * Bad commands (BAD answers) before the engine sends `* BYE Too many protocol errors` and
 * closes. Fixed inside the engine (`MAX_BAD_COMMANDS`), counted per connection.
 */
export const ENGINE_MAX_BAD_COMMANDS = 50;
/** Literals of commands other than APPEND above this are refused `NO Literal too large` (engine). */
export const ENGINE_MAX_NON_APPEND_LITERAL_BYTES = 1024;
/** SELECT/EXAMINE and EXPUNGE per connection before the engine asks the client to reconnect. */
export const ENGINE_MAX_SELECTS_PER_CONNECTION = 1000;
