// In-process invoice subscriptions: listeners per payment hash, called in order; one that
// throws is reported and does not keep the others from hearing the change.
import type { InvoiceListener, InvoiceStatus } from './backend.js';

export class InvoiceListeners {
  readonly #byHash = new Map<string, Set<InvoiceListener>>();
  readonly #onError: (err: unknown) => void;

  constructor(onError: (err: unknown) => void = () => {}) {
    this.#onError = onError;
  }

  add(paymentHash: string, listener: InvoiceListener): () => void {
    let set = this.#byHash.get(paymentHash);
    if (!set) this.#byHash.set(paymentHash, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.#byHash.get(paymentHash) === set) this.#byHash.delete(paymentHash);
    };
  }

  emit(paymentHash: string, status: InvoiceStatus): void {
    for (const listener of [...(this.#byHash.get(paymentHash) ?? [])]) {
      try {
        listener(status);
      } catch (err) {
        this.#onError(err);
      }
    }
  }

  clear(): void {
    this.#byHash.clear();
  }

  /** How many payment hashes have listeners (for tests of unsubscribe). */
  get size(): number {
    return this.#byHash.size;
  }
}
