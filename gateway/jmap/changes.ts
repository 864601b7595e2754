// The common part of every /changes (RFC 8620 §5.2): from the journal's ordered entries after
// `sinceState`, the created, updated and destroyed ids, cut at a modseq boundary when more
// than `maxChanges` ids changed (a state names a modseq, so one modseq is never split).
import { MethodError } from './errors.js';
import { parseState, stateOf } from './state.js';

export interface ChangeEntry {
  readonly modseq: number;
  readonly id: string;
  readonly op: 'created' | 'updated' | 'destroyed';
  /** Only derived counts changed (a Mailbox whose Emails changed). */
  readonly countsOnly?: boolean;
}

export interface ChangesResult {
  readonly oldState: string;
  readonly newState: string;
  readonly hasMoreChanges: boolean;
  readonly created: string[];
  readonly updated: string[];
  readonly destroyed: string[];
  /** True when every updated id changed only in its counts. */
  readonly countsOnly: boolean;
}

/** The modseq a `sinceState` names. @throws MethodError cannotCalculateChanges for a state not of this form. */
export function sinceModseq(sinceState: string): number {
  const since = parseState(sinceState);
  if (since === undefined) throw notOurs(sinceState);
  return since;
}

function notOurs(sinceState: string): MethodError {
  return new MethodError('cannotCalculateChanges', `${JSON.stringify(sinceState)} is not a state of this account`);
}

/** @throws MethodError cannotCalculateChanges for a state newer than the account's. */
export function collectChanges(sinceState: string, entries: readonly ChangeEntry[], current: number, maxChanges: number | null | undefined): ChangesResult {
  if (sinceModseq(sinceState) > current) throw notOurs(sinceState);
  const byId = new Map<string, { created: boolean; updated: boolean; destroyed: boolean; countsOnly: boolean }>();
  let reached = current;
  let hasMore = false;
  let i = 0;
  while (i < entries.length) {
    const modseq = entries[i]!.modseq;
    let j = i;
    while (j < entries.length && entries[j]!.modseq === modseq) j++;
    const group = entries.slice(i, j);
    if (maxChanges) {
      const added = new Set(group.map((e) => e.id).filter((id) => !byId.has(id))).size;
      if (byId.size + added > maxChanges) {
        if (i === 0) throw new MethodError('cannotCalculateChanges', `more than ${maxChanges} objects changed at once; ask for more changes`);
        reached = entries[i - 1]!.modseq;
        hasMore = true;
        break;
      }
    }
    for (const e of group) {
      const seen = byId.get(e.id) ?? { created: false, updated: false, destroyed: false, countsOnly: true };
      seen[e.op] = true;
      if (e.op === 'updated' && !e.countsOnly) seen.countsOnly = false;
      byId.set(e.id, seen);
    }
    i = j;
  }
  const created: string[] = [];
  const updated: string[] = [];
  const destroyed: string[] = [];
  let countsOnly = true;
  for (const [id, s] of byId) {
    if (s.destroyed) destroyed.push(id);
    else if (s.created) created.push(id);
    else {
      updated.push(id);
      if (!s.countsOnly) countsOnly = false;
    }
  }
  return { oldState: sinceState, newState: stateOf(reached), hasMoreChanges: hasMore, created, updated, destroyed, countsOnly };
}
