// Live subscriptions of every connection, indexed by the keys their filters name, so a
// PUBLISH is matched only against subscriptions that could want it.
import type { VerifiedMessage } from '../core/envelope.js';
import type { Filter } from './frames.js';

/** The envelope fields a filter looks at (what a cross-process fan-out notice carries). */
export type Routing = Pick<VerifiedMessage, 'id' | 'from' | 'to' | 'kind' | 'timestamp'>;

/** True when the envelope passes every condition the filter sets (`limit` is not a condition). */
export function matchesFilter(msg: Routing, f: Filter): boolean {
  if (f.ids && !f.ids.includes(msg.id)) return false;
  if (f.to && !msg.to.some((k) => f.to!.includes(k))) return false;
  if (f.from && !f.from.includes(msg.from)) return false;
  if (f.kinds && !f.kinds.includes(msg.kind)) return false;
  if (f.since !== undefined && msg.timestamp < f.since) return false;
  if (f.until !== undefined && msg.timestamp > f.until) return false;
  return true;
}

/** The side of a connection that receives matching envelopes. */
export interface Subscriber {
  /** `messageJson` is the envelope serialised once for every subscriber. */
  deliver(sub: string, messageJson: string): void;
}

interface Entry {
  readonly owner: Subscriber;
  readonly sub: string;
  readonly filter: Filter;
  readonly keys: readonly string[];
}

export class SubscriptionRegistry {
  private readonly byOwner = new Map<Subscriber, Map<string, Entry>>();
  private readonly byKey = new Map<string, Set<Entry>>();

  count(owner: Subscriber): number {
    return this.byOwner.get(owner)?.size ?? 0;
  }

  has(owner: Subscriber, sub: string): boolean {
    return this.byOwner.get(owner)?.has(sub) ?? false;
  }

  /**
   * Adds or replaces the subscription `sub` of `owner`. The filter must name `to` or `from`
   * keys (the AUTH rule guarantees it); it is indexed under those of `to`, else of `from`.
   */
  set(owner: Subscriber, sub: string, filter: Filter): void {
    this.remove(owner, sub);
    const keys = filter.to ?? filter.from ?? [];
    const entry: Entry = { owner, sub, filter, keys };
    let subs = this.byOwner.get(owner);
    if (!subs) this.byOwner.set(owner, (subs = new Map()));
    subs.set(sub, entry);
    for (const key of keys) {
      let set = this.byKey.get(key);
      if (!set) this.byKey.set(key, (set = new Set()));
      set.add(entry);
    }
  }

  remove(owner: Subscriber, sub: string): boolean {
    const subs = this.byOwner.get(owner);
    const entry = subs?.get(sub);
    if (!subs || !entry) return false;
    subs.delete(sub);
    if (subs.size === 0) this.byOwner.delete(owner);
    for (const key of entry.keys) {
      const set = this.byKey.get(key);
      set?.delete(entry);
      if (set?.size === 0) this.byKey.delete(key);
    }
    return true;
  }

  removeAll(owner: Subscriber): void {
    for (const sub of [...(this.byOwner.get(owner)?.keys() ?? [])]) this.remove(owner, sub);
  }

  /** Delivers the envelope to every matching subscription once; returns how many. */
  fanOut(message: VerifiedMessage): number {
    return this.deliverTo(message, () => JSON.stringify(message));
  }

  /** Like fanOut, for an envelope already serialised (read back from the store). */
  fanOutJson(routing: Routing, json: string): number {
    return this.deliverTo(routing, () => json);
  }

  /** True when at least one subscription matches (so the envelope is worth reading). */
  wants(routing: Routing): boolean {
    return !this.matching(routing).next().done;
  }

  private deliverTo(routing: Routing, serialise: () => string): number {
    let json: string | undefined;
    let count = 0;
    for (const entry of this.matching(routing)) {
      entry.owner.deliver(entry.sub, (json ??= serialise()));
      count++;
    }
    return count;
  }

  /** Each matching subscription once, looked up by the envelope's recipient and sender keys. */
  private *matching(routing: Routing): Generator<Entry> {
    const seen = new Set<Entry>();
    for (const key of [...routing.to, routing.from]) {
      for (const entry of this.byKey.get(key) ?? []) {
        if (!seen.has(entry) && matchesFilter(routing, entry.filter)) {
          seen.add(entry);
          yield entry;
        }
      }
    }
  }
}
