// `client watch`: a subscription for the key on each of its relays; messages stored before a
// relay's subscription is up (its catch-up) are old and not shown, every later one is shown
// once as it arrives, until the stop signal. The catch-up reaches back WATCH_LOOKBACK_SECONDS
// only: a sender's clock further behind than that would hide its message from the live filter.
import type { RelayPool } from '../../relay/relay-pool.js';
import { CliError, EXIT } from '../cli/errors.js';
import { tryOpen, type InboxEntry } from './inbox.js';
import type { ClientKey } from './key-file.js';
import type { Warn } from './network.js';

export const WATCH_LOOKBACK_SECONDS = 600;

export interface WatchInput {
  readonly pool: RelayPool;
  readonly key: ClientKey;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  readonly onEntry: (entry: InboxEntry) => void;
  /** A relay's subscription is up: what arrives through it from now on is shown. */
  readonly onLive: (relay: string) => void;
  /** Messages that cannot be opened. */
  readonly warn: Warn;
  /** Resolves when watching should end. */
  readonly stopped: Promise<unknown>;
}

export async function watchInbox(input: WatchInput): Promise<void> {
  const { key, warn } = input;
  const live = new Set<string>();
  const since = Math.max(0, Math.floor(input.now() / 1000) - WATCH_LOOKBACK_SECONDS);
  const sub = input.pool.subscribe({ to: [key.publicKey], since }, (message, origin) => {
    if (!live.has(origin.relay)) return;
    const entry = tryOpen(message, key.privateKey, warn);
    if (entry) input.onEntry(entry);
  });
  try {
    let refused = 0;
    const allRefused = new Promise<never>((_resolve, reject) => {
      for (const [relay, relaySub] of sub.relays) {
        relaySub.ready.then(
          () => {
            live.add(relay);
            input.onLive(relay);
          },
          // The relay client has already warned about the refusal.
          () => {
            if (++refused === sub.relays.size) reject(new CliError('no relay accepted the subscription', EXIT.failure));
          },
        );
      }
    });
    await Promise.race([input.stopped, allRefused]);
  } finally {
    await sub.close();
  }
}
