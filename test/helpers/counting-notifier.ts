// A notifier that counts its live subscriptions, over a real one: tests check with it that a
// push stream or socket that ends (client gone, push disabled, server closing) unsubscribes.
import type { Notifier } from '../../storage/notifier.js';

export function countingNotifier(inner: Notifier): Notifier & { readonly live: () => number } {
  let live = 0;
  return {
    publish: (event) => inner.publish(event),
    close: () => inner.close(),
    live: () => live,
    subscribe(userId, listener) {
      const unsubscribe = inner.subscribe(userId, listener);
      live++;
      let done = false;
      return Object.assign(
        () => {
          if (!done) live--;
          done = true;
          unsubscribe();
        },
        { ready: unsubscribe.ready },
      );
    },
  };
}

/** Polls `check` every 10 ms until it holds. */
export async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 10));
}
