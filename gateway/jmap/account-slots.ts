// A per-account count of work in flight with a ceiling (maxConcurrentUpload and the like):
// take a slot before the work and give it back after, whatever happened.

export class AccountSlots {
  readonly #max: number;
  readonly #taken = new Map<number, number>();

  constructor(max: number) {
    this.#max = max;
  }

  /** Takes a slot of `userId`'s; false (nothing taken) when all are in use. */
  take(userId: number): boolean {
    const taken = this.#taken.get(userId) ?? 0;
    if (taken >= this.#max) return false;
    this.#taken.set(userId, taken + 1);
    return true;
  }

  release(userId: number): void {
    const left = (this.#taken.get(userId) ?? 1) - 1;
    if (left <= 0) this.#taken.delete(userId);
    else this.#taken.set(userId, left);
  }
}
