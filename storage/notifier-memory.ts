// The in-process notifier, for a single gateway process (no REDIS_URL), and the local
// fan-out both notifiers use: per-user listener sets, delivery in a microtask so a
// publisher never runs listener code, and one throwing listener reported, not fatal.
import type { ChangeEvent, ChangeListener, Notifier, Unsubscribe } from './notifier.js';
import { checkedChangeEvent, checkedUserId } from './notifier-event.js';
import { describeCause, NotifierError } from './notifier-errors.js';

// A wrapper per subscribe() call, so the same function subscribed twice is two
// subscriptions and each unsubscribe removes exactly its own.
interface Subscription {
  readonly listener: ChangeListener;
}

/** This process's listeners by user id. */
export class LocalListeners {
  readonly #byUser = new Map<number, Set<Subscription>>();
  readonly #onError: (err: Error) => void;

  constructor(onError: (err: Error) => void) {
    this.#onError = onError;
  }

  /**
   * Adds a listener and returns its removal, which acts once (later calls return false)
   * and returns true when it removed the user's last listener: for Redis, time to UNSUBSCRIBE.
   */
  add(userId: number, listener: ChangeListener): () => boolean {
    let subscriptions = this.#byUser.get(userId);
    if (subscriptions === undefined) {
      subscriptions = new Set();
      this.#byUser.set(userId, subscriptions);
    }
    const subscription: Subscription = { listener };
    subscriptions.add(subscription);
    const set = subscriptions;
    return () => {
      if (!set.delete(subscription)) return false;
      if (set.size > 0 || this.#byUser.get(userId) !== set) return false;
      this.#byUser.delete(userId);
      return true;
    };
  }

  /** Queues `event` for the user's current listeners; they run in a later microtask. */
  deliver(event: ChangeEvent): void {
    const subscriptions = this.#byUser.get(event.userId);
    if (subscriptions === undefined) return;
    // Listeners share one object; frozen so one cannot change what the next one sees.
    const shared = Object.freeze(event);
    const targets = [...subscriptions];
    queueMicrotask(() => {
      const failures: unknown[] = [];
      for (const subscription of targets) {
        // Unsubscribed (or closed) between publish and delivery: no longer wanted.
        if (!subscriptions.has(subscription)) continue;
        try {
          subscription.listener(shared);
        } catch (err) {
          failures.push(err);
        }
      }
      // Reported after everyone had the event, so even a throwing onError cannot starve a listener.
      for (const err of failures) {
        this.#onError(
          new NotifierError('listener_failed', `a change listener for user ${event.userId} threw: ${describeCause(err)}`, { cause: err }),
        );
      }
    });
  }

  /** Drops every listener; events already queued are not delivered. */
  clear(): void {
    for (const subscriptions of this.#byUser.values()) subscriptions.clear();
    this.#byUser.clear();
  }
}

/** `fn` with its `ready` promise, the shape `Notifier.subscribe` returns. */
export function toUnsubscribe(fn: () => void, ready: Promise<void>): Unsubscribe {
  return Object.assign(fn, { ready });
}

export function closedError(operation: 'publish' | 'subscribe'): NotifierError {
  return new NotifierError('notifier_closed', `cannot ${operation}: the change notifier is closed`);
}

class MemoryNotifier implements Notifier {
  readonly #listeners: LocalListeners;
  #closed = false;

  constructor(onError: (err: Error) => void) {
    this.#listeners = new LocalListeners(onError);
  }

  async publish(event: ChangeEvent): Promise<void> {
    if (this.#closed) throw closedError('publish');
    this.#listeners.deliver(checkedChangeEvent(event));
  }

  subscribe(userId: number, listener: ChangeListener): Unsubscribe {
    if (this.#closed) throw closedError('subscribe');
    const remove = this.#listeners.add(checkedUserId(userId), listener);
    return toUnsubscribe(() => void remove(), Promise.resolve());
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
  }
}

export function createMemoryNotifier(opts: { onError: (err: Error) => void }): Notifier {
  return new MemoryNotifier(opts.onError);
}
