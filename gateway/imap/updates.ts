// Untagged EXISTS/EXPUNGE/FETCH for a selected mailbox, from the shared Notifier. The engine
// asks `getUpdates(mailbox, modifyIndex)` whenever the listener fires; the answer is read
// from the mailbox's rows (messages changed since modifyIndex) and the change journal
// (expunged since), so any gateway process's change is seen, and a lost event is covered
// by the next one; sessions of one mailbox asking together share one read (ChangeRounds).
// Changes this connection made and already answered are marked `ignore`.
import { ChangeRounds } from './change-rounds.js';
import { accountOf, type ImapContext } from './context.js';
import { setNotificationPrelude, type EngineNotifier, type EngineSelected, type EngineSession, type EngineUpdate } from './engine.js';
import { isSelection, keywordsOf, writeFlags, type Selection } from './selection.js';

type EngineListener = (message?: { command: string; mailbox?: unknown }) => void;

export function createUpdates(ctx: ImapContext): EngineNotifier {
  // The engine drops an event that arrives while an update query runs; the selection
  // remembers it and asks again once the query is answered.
  const rerun = new WeakMap<Selection, () => void>();
  const rounds = new ChangeRounds(ctx.messages);

  return {
    addListener(session: EngineSession, handler: EngineListener): void {
      const state = ctx.sessions.get(session);
      if (!state) return;
      const fire = (): void => {
        const selected = session.selected;
        const sel = selected ? selected.mailbox : undefined;
        if (!isSelection(sel)) return;
        if (sel.busy) {
          sel.again = true;
          rerun.set(sel, fire);
          return;
        }
        // The engine's listener reads `this` as an emitter would set it.
        handler.call({});
      };
      state.unsubscribe?.();
      const unsubscribe = ctx.notifier.subscribe(state.account.userId, (event) => {
        if (event.kind === 'email' || event.kind === 'mailbox') fire();
      });
      unsubscribe.ready.catch((err: unknown) => ctx.logger.warn('change subscription failed', { session: session.id, err }));
      state.unsubscribe = unsubscribe;
    },

    removeListener(session: EngineSession): void {
      const state = ctx.sessions.get(session);
      state?.unsubscribe?.();
      if (state) delete state.unsubscribe;
    },

    getUpdates(mailbox: unknown, modifyIndex: number, callback: (err: Error | null, updates?: EngineUpdate[]) => void): void {
      if (!isSelection(mailbox)) {
        callback(null, []);
        return;
      }
      mailbox.busy = true;
      updatesFor(ctx, rounds, mailbox, modifyIndex).then(
        (updates) => done(mailbox, () => callback(null, updates)),
        (err: unknown) => done(mailbox, () => callback(err instanceof Error ? err : new Error(String(err)))),
      );
    },
  };

  function done(sel: Selection, answer: () => void): void {
    sel.busy = false;
    answer();
    if (sel.again) {
      sel.again = false;
      const again = rerun.get(sel);
      if (again) setImmediate(again);
    }
  }
}

async function updatesFor(ctx: ImapContext, rounds: ChangeRounds, sel: Selection, modifyIndex: number): Promise<EngineUpdate[]> {
  const session = sel.session;
  const selected = session.selected;
  const state = ctx.sessions.get(session);
  if (!selected || selected.mailbox !== sel || !state || state.account.locked) return [];
  const { changed, expunged } = await rounds.since(accountOf(ctx, session), sel.mailboxId, modifyIndex);
  const { known, maxKnown } = knownUids(selected);

  const updates: EngineUpdate[] = [];
  for (const e of expunged) if (known.has(e.uid)) updates.push({ command: 'EXPUNGE', uid: e.uid, modseq: e.modseq });
  const added: number[] = [];
  let highest = modifyIndex;
  for (const m of changed) {
    highest = Math.max(highest, m.modseq);
    noteKeywords(sel, m.flags);
    if (known.has(m.uid)) {
      const own = sel.ownChanges.get(m.uid);
      if (own !== undefined && own >= m.modseq) {
        updates.push({ command: 'FETCH', uid: m.uid, flags: m.flags, modseq: m.modseq, ignore: session.id });
      } else {
        updates.push({ command: 'FETCH', uid: m.uid, flags: m.flags, modseq: m.modseq });
      }
    } else if (m.uid > maxKnown) {
      added.push(m.uid);
    }
  }
  for (const e of expunged) highest = Math.max(highest, e.modseq);
  // The engine sorts by modseq (stably); new messages go last, in UID order, since EXISTS
  // appends to the sequence in the order it is reported.
  for (const uid of added.sort((a, b) => a - b)) updates.push({ command: 'EXISTS', uid, modseq: highest });
  for (const [uid, modseq] of sel.ownChanges) if (modseq <= highest) sel.ownChanges.delete(uid);
  if (updates.length === 0 && highest > selected.modifyIndex) selected.modifyIndex = highest;
  return updates;
}

/**
 * A keyword another session (or process) brought into the mailbox is announced with an
 * untagged FLAGS before the FETCH that shows it (RFC 3501 §7.2.6); the engine does not track
 * keywords, so the prelude it runs before its pending updates writes it.
 */
function noteKeywords(sel: Selection, flags: readonly string[]): void {
  for (const k of keywordsOf(flags)) {
    if (sel.keywords.has(k)) continue;
    sel.keywords.add(k);
    sel.keywordsChanged = true;
  }
}

setNotificationPrelude((session) => {
  const sel = session.selected ? session.selected.mailbox : undefined;
  if (!isSelection(sel) || !sel.keywordsChanged) return;
  sel.keywordsChanged = false;
  writeFlags(sel, session);
});

/**
 * A message this connection appended to the mailbox it has selected: queue its EXISTS now, so
 * the engine sends it before APPEND's tagged OK (RFC 3501 §6.3.11) and a following UID FETCH
 * finds the UID, instead of waiting for the notifier's round trip. Skipped when the notifier
 * already queued it, or when a higher UID is already known (EXISTS only appends).
 */
export function announceAppended(session: EngineSession, mailboxId: number, uid: number, modseq: number): void {
  const selected = session.selected;
  if (!selected || !isSelection(selected.mailbox) || selected.mailbox.mailboxId !== mailboxId) return;
  if (uid <= knownUids(selected).maxKnown) return;
  selected.notifications.push({ command: 'EXISTS', uid, modseq });
}

/** What the client knows of: the UID list plus EXISTS already queued but not yet sent. */
function knownUids(selected: EngineSelected): { known: { has(uid: number): boolean }; maxKnown: number } {
  const queued = new Set<number>();
  for (const n of selected.notifications) if (n.command === 'EXISTS') queued.add(n.uid);
  let maxKnown = selected.uidList.max();
  for (const uid of queued) if (uid > maxKnown) maxKnown = uid;
  return { known: { has: (uid) => queued.has(uid) || selected.uidList.has(uid) }, maxKnown };
}
