// Named limits of the relay server, in one place. Every one can be overridden through
// `startRelayServer({ limits })`; the defaults are what a single relay node should survive.

export interface RelayLimits {
  /**
   * Largest PUBLISH frame accepted; a larger one is answered `invalid: oversize` and the
   * connection stays open. 64 MiB carries the largest mail the gateway accepts over SMTP
   * (25 MiB: base64 in the content, padded, sealed and base64 again is ~50 MiB).
   */
  readonly maxMessageBytes: number;
  /**
   * Largest WebSocket message read at all (ws `maxPayload`). Beyond it ws closes the
   * connection with 1009 before the frame is buffered whole, so it is the memory bound per
   * connection. Room above maxMessageBytes for the PUBLISH wrapper.
   */
  readonly maxFrameBytes: number;
  /** Live subscriptions per connection; one more is answered `limit:`. */
  readonly maxSubscriptionsPerConnection: number;
  /** Keys one connection may authenticate as (one AUTH each). */
  readonly maxAuthKeysPerConnection: number;
  /** Failed AUTH attempts per connection; after them every AUTH is refused `limit:` unchecked. */
  readonly maxAuthFailuresPerConnection: number;
  /** Most MSG frames one QUERY returns, and the limit of a filter without `limit`. */
  readonly maxQueryLimit: number;
  /** Rows read from the database per round trip of a QUERY (fewer when messages may be large). */
  readonly queryBatchBytes: number;
  /** PUBLISH frames per source IP per window, counted before any signature is checked. */
  readonly publishesPerIp: number;
  /** PUBLISH frames per sender key per window, counted after the signature verified. */
  readonly publishesPerKey: number;
  readonly publishWindowMs: number;
  /** Connections per source IP; one more is closed with 1008 after a NOTICE. */
  readonly connectionsPerIp: number;
  /**
   * Bytes the relay may have queued for one client (ws `bufferedAmount`). Past it the client
   * is a slow consumer: it gets a NOTICE and the connection is closed, so one client that
   * does not read cannot make the relay hold an unbounded backlog.
   */
  readonly maxBufferedBytes: number;
  /** After the slow-consumer NOTICE and close frame, time before the socket is cut. */
  readonly slowConsumerGraceMs: number;
  /** Frames read from one client and not yet handled before the relay stops reading it. */
  readonly maxQueuedFrames: number;
  /** An AUTH whose timestamp is further than this from the relay's clock is stale. */
  readonly authMaxSkewSeconds: number;
  /** Stored envelopes are deleted this long after they arrived (or at their expiry). */
  readonly retentionSeconds: number;
  /** How often the retention prune runs. */
  readonly pruneIntervalMs: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_RELAY_LIMITS: RelayLimits = {
  maxMessageBytes: 64 * MiB,
  maxFrameBytes: 64 * MiB + 64 * 1024,
  maxSubscriptionsPerConnection: 20,
  maxAuthKeysPerConnection: 16,
  maxAuthFailuresPerConnection: 10,
  maxQueryLimit: 500,
  queryBatchBytes: 16 * MiB,
  publishesPerIp: 600,
  publishesPerKey: 120,
  publishWindowMs: 60_000,
  connectionsPerIp: 100,
  maxBufferedBytes: 8 * MiB,
  slowConsumerGraceMs: 5_000,
  maxQueuedFrames: 32,
  authMaxSkewSeconds: 600,
  retentionSeconds: 30 * 24 * 3600,
  pruneIntervalMs: 3_600_000,
};

export function resolveLimits(overrides: Partial<RelayLimits> = {}): RelayLimits {
  const limits = { ...DEFAULT_RELAY_LIMITS, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`relay limit ${name} must be a positive integer, got ${String(value)}`);
  }
  if (limits.maxFrameBytes < limits.maxMessageBytes) throw new RangeError('relay limit maxFrameBytes must be at least maxMessageBytes');
  return limits;
}

/** Rows per QUERY round trip: as many as fit queryBatchBytes if each were as large as allowed. */
export function queryBatchRows(limits: RelayLimits): number {
  return Math.max(1, Math.min(limits.maxQueryLimit, Math.floor(limits.queryBatchBytes / limits.maxMessageBytes)));
}
