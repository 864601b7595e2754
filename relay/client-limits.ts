// Named limits of the relay client side (client.ts, relay-pool.ts, outbox.ts), in one place.
// Each can be overridden per instance (`limits`); the defaults suit a gateway talking to a
// handful of relays over the internet.

export interface RelayClientLimits {
  /** A PUBLISH with no OK or ERROR this long after publish() was called is rejected `timeout` (waiting for a connection counts). */
  readonly ackTimeoutMs: number;
  /** A QUERY with no EOSE this long after query() was called is rejected `timeout`. */
  readonly queryTimeoutMs: number;
  /** Opening the socket, the CHALLENGE and every AUTH must finish within this, or the attempt counts as failed. */
  readonly connectTimeoutMs: number;
  /** Reconnect delay: a random time in [0, min(max, base · 2^failures)) ("full jitter"). */
  readonly reconnectBaseMs: number;
  readonly reconnectMaxMs: number;
  /** Largest envelope (serialised PUBLISH frame) sent; the relay's default frame limit. */
  readonly maxPublishBytes: number;
  /** Largest WebSocket message read from a relay (ws `maxPayload`). */
  readonly maxFrameBytes: number;
  /** Envelope ids remembered per subscription (and per pool subscription) for dedupe. */
  readonly seenIdsPerSubscription: number;
  /**
   * On resubscribe the catch-up QUERY starts this far before the newest timestamp seen: an
   * envelope's timestamp is its sender's clock, so one may arrive later than a newer one.
   */
  readonly resubscribeLookbackSeconds: number;
  /** QUERY pages (of up to the relay's result cap) one catch-up reads at most. */
  readonly maxCatchUpPages: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_RELAY_CLIENT_LIMITS: RelayClientLimits = {
  ackTimeoutMs: 15_000,
  queryTimeoutMs: 30_000,
  connectTimeoutMs: 10_000,
  reconnectBaseMs: 500,
  reconnectMaxMs: 60_000,
  maxPublishBytes: 64 * MiB,
  maxFrameBytes: 64 * MiB + 64 * 1024,
  seenIdsPerSubscription: 10_000,
  resubscribeLookbackSeconds: 3_600,
  maxCatchUpPages: 20,
};

export interface RelayOutboxLimits {
  /** How often an idle outbox looks for due envelopes; `kick()` wakes it at once. */
  readonly pollMs: number;
  /** Targets (one envelope to one relay) claimed per round. */
  readonly claimBatch: number;
  /** A claimed target is left to one worker this long before another may take it: past the ack timeout. */
  readonly leaseMs: number;
  /** Retry delay after a failed attempt: random in [0, min(max, base · 2^(attempts-1))). */
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** A target still not delivered this long after it was queued is given up (`failed`). */
  readonly giveUpAfterMs: number;
  /** Finished rows are deleted this long after they finished. */
  readonly keepFinishedMs: number;
  /** How often finished rows older than keepFinishedMs are deleted. */
  readonly pruneIntervalMs: number;
  /** Pause after the outbox table could not be read (storage down). */
  readonly errorDelayMs: number;
}

export const DEFAULT_RELAY_OUTBOX_LIMITS: RelayOutboxLimits = {
  pollMs: 1_000,
  claimBatch: 50,
  leaseMs: 5 * 60_000,
  retryBaseMs: 5_000,
  retryMaxMs: 30 * 60_000,
  giveUpAfterMs: 7 * 24 * 3_600_000,
  keepFinishedMs: 7 * 24 * 3_600_000,
  pruneIntervalMs: 3_600_000,
  errorDelayMs: 5_000,
};

function resolve<T extends object>(kind: string, defaults: T, overrides: Partial<T>): T {
  const limits = { ...defaults, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || (value as number) <= 0) throw new RangeError(`${kind} limit ${name} must be a positive integer, got ${String(value)}`);
  }
  return limits;
}

export function resolveClientLimits(overrides: Partial<RelayClientLimits> = {}): RelayClientLimits {
  const limits = resolve('relay client', DEFAULT_RELAY_CLIENT_LIMITS, overrides);
  if (limits.reconnectMaxMs < limits.reconnectBaseMs) throw new RangeError('relay client limit reconnectMaxMs must be at least reconnectBaseMs');
  return limits;
}

export function resolveOutboxLimits(overrides: Partial<RelayOutboxLimits> = {}): RelayOutboxLimits {
  const limits = resolve('relay outbox', DEFAULT_RELAY_OUTBOX_LIMITS, overrides);
  if (limits.retryMaxMs < limits.retryBaseMs) throw new RangeError('relay outbox limit retryMaxMs must be at least retryBaseMs');
  return limits;
}
