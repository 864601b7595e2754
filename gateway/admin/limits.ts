// Limits of the admin socket, in one place so they can be found, documented and tuned.
// startAdminServer and connectAdmin take overrides; these are the defaults.
import { MX_MAX_MESSAGE_BYTES } from '../smtp/limits.js';

/** Largest message one `mail.import` request carries: what the MX accepts. */
export const MAX_IMPORT_MESSAGE_BYTES = MX_MAX_MESSAGE_BYTES;
/**
 * Longest request line the server reads, in bytes; longer lines get `line_too_long`. Derived
 * from the largest `mail.import` (its message in base64, plus 64 KiB for the other fields).
 */
export const MAX_REQUEST_LINE_BYTES = Math.ceil(MAX_IMPORT_MESSAGE_BYTES / 3) * 4 + 64 * 1024;
/** Longest reply line the client reads, in bytes (a user list grows with the users). */
export const MAX_REPLY_LINE_BYTES = 64 * 1024 * 1024;
/** Connections served at once; more are answered `busy` and closed. */
export const MAX_CONNECTIONS = 16;
/** Requests read ahead on one connection before the server stops reading from it. */
export const MAX_PENDING_REQUESTS = 8;
/** A connection with no request for this long is closed. */
export const IDLE_TIMEOUT_MS = 5 * 60_000;
/** How long the client waits for a reply (the server may still be opening its database). */
export const REQUEST_TIMEOUT_MS = 60_000;
/** On shutdown, how long requests in flight may take before their connections are cut. */
export const SHUTDOWN_GRACE_MS = 5_000;
/** Longest Unix socket path the OS accepts (sun_path less its NUL); Node would truncate it. */
export const MAX_SOCKET_PATH_BYTES = process.platform === 'linux' ? 107 : 103;

export interface AdminServerLimits {
  readonly maxLineBytes: number;
  readonly maxConnections: number;
  readonly maxPendingRequests: number;
  readonly idleTimeoutMs: number;
  readonly shutdownGraceMs: number;
}

export const DEFAULT_SERVER_LIMITS: AdminServerLimits = {
  maxLineBytes: MAX_REQUEST_LINE_BYTES,
  maxConnections: MAX_CONNECTIONS,
  maxPendingRequests: MAX_PENDING_REQUESTS,
  idleTimeoutMs: IDLE_TIMEOUT_MS,
  shutdownGraceMs: SHUTDOWN_GRACE_MS,
};
