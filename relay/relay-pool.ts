// Several relays as one: a RelayClient per URL (each reconnecting on its own), publish that
// succeeds when at least one relay accepts, and subscriptions on every relay whose envelopes
// reach the handler once each, whichever relays carry them.
import type { LnmpMessage } from '../core/envelope.js';
import { RelayClient, type MessageHandler, type PublishResult, type RelayClientOptions, type RelaySubscription } from './client.js';
import type { RelayInvoice } from './client-requests.js';
import { RelayClientError } from './client-errors.js';
import { resolveClientLimits } from './client-limits.js';
import type { Filter } from './frames.js';
import { SeenIds } from './seen-ids.js';

export interface RelayPoolOptions extends Omit<RelayClientOptions, 'url'> {
  readonly urls: readonly string[];
  /** publishTo may name relays outside `urls` (a recipient's); a client is opened for each. */
  readonly openOnDemand?: boolean;
}

/** What one relay made of one envelope. `duplicate` counts as delivered. */
export type RelayOutcome =
  | { readonly relay: string; readonly status: 'ok' | 'duplicate'; readonly invoice?: RelayInvoice }
  | { readonly relay: string; readonly status: 'failed'; readonly error: RelayClientError };

export interface PoolSubscription {
  readonly id: string;
  /** Per relay: settles when that relay's subscription is up (see RelaySubscription.ready). */
  readonly relays: ReadonlyMap<string, RelaySubscription>;
  close(): Promise<void>;
}

function asClientError(err: unknown, relay: string): RelayClientError {
  return err instanceof RelayClientError ? err : new RelayClientError('closed', `relay ${relay}: ${(err as Error).message}`, { relay }, { cause: err });
}

export class RelayPool {
  private readonly clients = new Map<string, RelayClient>();
  private readonly seenCapacity: number;
  private seq = 0;
  private readonly onDemand: Omit<RelayClientOptions, 'url'> | undefined;

  constructor(opts: RelayPoolOptions) {
    const { urls, openOnDemand, ...common } = opts;
    this.onDemand = openOnDemand ? common : undefined;
    if (urls.length === 0 && !openOnDemand) throw new RelayClientError('invalid', 'a relay pool needs at least one relay URL');
    this.seenCapacity = resolveClientLimits(common.limits).seenIdsPerSubscription;
    for (const url of new Set(urls)) this.clients.set(url, new RelayClient({ ...common, url }));
  }

  /** With `openOnDemand`, a client for a relay first named by publishTo (a recipient's relay). */
  private openOnDemand(url: string): RelayClient | undefined {
    if (!this.onDemand) return undefined;
    const client = new RelayClient({ ...this.onDemand, url });
    this.clients.set(url, client);
    return client;
  }

  get urls(): string[] {
    return [...this.clients.keys()];
  }

  client(url: string): RelayClient | undefined {
    return this.clients.get(url);
  }

  /**
   * Resolves with the first relay that accepts the envelope (OK or `duplicate:`); the others
   * go on in the background. Rejects `unreachable` once every relay has failed, naming each.
   */
  publish(envelope: LnmpMessage): Promise<PublishResult> {
    const clients = [...this.clients.values()];
    return new Promise((resolve, reject) => {
      const errors: RelayClientError[] = [];
      for (const client of clients) {
        client.publish(envelope).then(resolve, (err: unknown) => {
          errors.push(asClientError(err, client.url));
          if (errors.length < clients.length) return;
          const text = errors.map((e) => e.message).join('; ');
          reject(new RelayClientError('unreachable', `no relay accepted ${String(envelope.id)}: ${text}`, {}, { cause: new AggregateError(errors) }));
        });
      }
    });
  }

  /** Publishes to the given relays of the pool and reports each one's outcome (the outbox records them). */
  async publishTo(envelope: LnmpMessage, urls: readonly string[]): Promise<RelayOutcome[]> {
    return Promise.all(
      urls.map(async (relay): Promise<RelayOutcome> => {
        const client = this.clients.get(relay) ?? this.openOnDemand(relay);
        if (!client) return { relay, status: 'failed', error: new RelayClientError('unknown_relay', `relay ${relay} is not in the pool`, { relay }) };
        try {
          const result = await client.publish(envelope);
          return { relay, status: result.duplicate ? 'duplicate' : 'ok', ...(result.invoice ? { invoice: result.invoice } : {}) };
        } catch (err) {
          return { relay, status: 'failed', error: asClientError(err, relay) };
        }
      }),
    );
  }

  /** Subscribes on every relay; each envelope reaches `onMessage` once, from the first relay that delivers it. */
  subscribe(filter: Filter, onMessage: MessageHandler): PoolSubscription {
    const seen = new SeenIds(this.seenCapacity);
    const relays = new Map<string, RelaySubscription>();
    const handler: MessageHandler = (message, origin) => {
      if (seen.add(message.id)) onMessage(message, origin);
    };
    for (const [url, client] of this.clients) relays.set(url, client.subscribe(filter, handler));
    return {
      id: `p${++this.seq}`,
      relays,
      close: async () => void (await Promise.all([...relays.values()].map((s) => s.close()))),
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.close()));
  }
}
