// The UID list of a selected mailbox, in the shape the engine uses (`length`, `indexOf`,
// `push`, `splice(seq - 1, 1)`, iteration). It starts as a view of a snapshot shared by every
// session that selected the same mailbox state (4 bytes per UID, stored once per process), and
// copies it only when this session's list changes (EXISTS, EXPUNGE). UIDs are kept ascending,
// so `indexOf` (the engine's UID → sequence number lookup) is a binary search.

/** A mailbox's UIDs at one state, ascending. Never written after it is made. */
export type UidSnapshot = Readonly<Uint32Array>;

export class UidList implements Iterable<number> {
  #uids: Uint32Array;
  #length: number;
  /** `#uids` belongs to this list (a copy): it may be written. */
  #own = false;
  /** Every UID pushed so far was above the last one: binary search is valid. */
  #ascending = true;

  constructor(snapshot: UidSnapshot) {
    this.#uids = snapshot as Uint32Array;
    this.#length = snapshot.length;
  }

  get length(): number {
    return this.#length;
  }

  /** The UID at 0-based position `i` (sequence number i + 1). */
  at(i: number): number | undefined {
    return i >= 0 && i < this.#length ? this.#uids[i] : undefined;
  }

  /** The last UID, 0 when empty. */
  last(): number {
    return this.#length > 0 ? this.#uids[this.#length - 1]! : 0;
  }

  /** UIDs only ever grew, so positions can be found by binary search. */
  get ascending(): boolean {
    return this.#ascending;
  }

  /** 0-based position of `uid`, or -1: the sequence number minus one. */
  indexOf(uid: number): number {
    if (!this.#ascending) return this.#uids.subarray(0, this.#length).indexOf(uid);
    const i = this.lowerBound(uid);
    return i < this.#length && this.#uids[i] === uid ? i : -1;
  }

  /** Position of the first UID ≥ `uid` (the length if none); for an ascending list. */
  lowerBound(uid: number): number {
    let lo = 0;
    let hi = this.#length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#uids[mid]! < uid) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The highest UID, 0 when empty. */
  max(): number {
    if (this.#ascending) return this.last();
    let max = 0;
    for (let i = 0; i < this.#length; i++) max = Math.max(max, this.#uids[i]!);
    return max;
  }

  has(uid: number): boolean {
    return this.indexOf(uid) >= 0;
  }

  /** Appends (EXISTS); returns the new length, as Array.prototype.push does. */
  push(...uids: number[]): number {
    this.#reserve(this.#length + uids.length);
    for (const uid of uids) {
      if (uid <= this.last()) this.#ascending = false;
      this.#uids[this.#length++] = uid;
    }
    return this.#length;
  }

  /** Removes `deleteCount` UIDs from `start` (EXPUNGE) and returns them. */
  splice(start: number, deleteCount = this.#length - start): number[] {
    const from = Math.max(0, Math.min(start < 0 ? this.#length + start : start, this.#length));
    const count = Math.max(0, Math.min(deleteCount, this.#length - from));
    const removed = Array.from(this.#uids.subarray(from, from + count));
    if (count === 0) return removed;
    this.#reserve(this.#length);
    this.#uids.copyWithin(from, from + count, this.#length);
    this.#length -= count;
    return removed;
  }

  *[Symbol.iterator](): Iterator<number> {
    for (let i = 0; i < this.#length; i++) yield this.#uids[i]!;
  }

  toArray(): number[] {
    return Array.from(this.#uids.subarray(0, this.#length));
  }

  /** Makes `#uids` this list's own, with room for `size` UIDs. */
  #reserve(size: number): void {
    if (this.#own && size <= this.#uids.length) return;
    const copy = new Uint32Array(this.#own ? Math.max(size, Math.ceil(this.#uids.length * 1.5)) : size + 16);
    copy.set(this.#uids.subarray(0, this.#length));
    this.#uids = copy;
    this.#own = true;
  }
}

export function isUidList(value: unknown): value is UidList {
  return value instanceof UidList;
}

/**
 * The engine's `getMessageRange` (a sequence or UID set → the UIDs it names, in mailbox order),
 * for a UidList or an array: the same reading of the set (`*` is the highest UID or the
 * message count, `n:m` and `m:n` are the same range), with the set parsed once instead of
 * once per message.
 */
export function messageRange(list: UidList | ArrayLike<number>, range: string, isUid: boolean): number[] {
  const length = list.length;
  const uidAt = isUidList(list) ? (i: number) => list.at(i)! : (i: number) => list[i]!;
  let maxUid = isUidList(list) ? list.max() : 0;
  if (!isUidList(list)) for (let i = 0; i < length; i++) maxUid = Math.max(maxUid, uidAt(i));
  const bounds = rangeBounds(String(range), isUid ? maxUid : length);
  if (isUidList(list) && list.ascending) return spansOf(list, bounds, isUid);
  const result: number[] = [];
  for (let i = 0; i < length; i++) {
    const uid = uidAt(i);
    const nr = isUid ? uid || 1 : i + 1;
    for (const [lo, hi] of bounds) {
      if (nr >= lo && nr <= hi) {
        result.push(uid);
        break;
      }
    }
  }
  return result;
}

/** The same answer for an ascending list: each part is a run of positions, found by binary search. */
function spansOf(list: UidList, bounds: Array<[number, number]>, isUid: boolean): number[] {
  const spans = bounds
    .map(([lo, hi]) => (isUid ? [list.lowerBound(lo), list.lowerBound(hi + 1)] : [Math.max(lo - 1, 0), Math.min(hi, list.length)]) as [number, number])
    .filter(([from, to]) => from < to)
    .sort((a, b) => a[0] - b[0]);
  const result: number[] = [];
  let done = 0;
  for (const [from, to] of spans) {
    for (let i = Math.max(from, done); i < to; i++) result.push(list.at(i)!);
    done = Math.max(done, to);
  }
  return result;
}

/** Each part of a set as [low, high], read exactly as the engine reads it. */
function rangeBounds(range: string, total: number): Array<[number, number]> {
  return range.split(',').map((part) => {
    const ends = part.split(':');
    const first = ends.shift();
    const from = Number(first === '*' ? total : first) || 1;
    const last = ends.pop() || String(from);
    const to = Number((last === '*' && total) || last) || from;
    return [Math.min(from, to), Math.max(from, to)];
  });
}
