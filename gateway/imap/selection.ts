// The selected mailbox of one connection, handed to the engine as the mailbox `_id`: the
// engine passes it back to every hook and to the notifier, so it carries what the hooks
// need (mailbox id, the keywords announced in FLAGS) and the changes this connection made
// itself (so they are not reported back to it a second time).
import { compileResponse, type EngineSession } from './engine.js';

export class Selection {
  readonly session: EngineSession;
  readonly mailboxId: number;
  readonly uidValidity: number;
  /** Keywords announced in the last untagged FLAGS. */
  readonly keywords: Set<string>;
  /** uid → modseq of flag changes this connection already answered with FETCH. */
  readonly ownChanges = new Map<number, number>();
  /** Keywords that other sessions' changes brought and the next updates must announce in FLAGS first. */
  keywordsChanged = false;
  /** An update query is running; another event arrived meanwhile and needs one more. */
  busy = false;
  again = false;

  constructor(session: EngineSession, mailboxId: number, uidValidity: number, keywords: Iterable<string>) {
    this.session = session;
    this.mailboxId = mailboxId;
    this.uidValidity = uidValidity;
    this.keywords = new Set(keywords);
  }

  /** The engine compares selected mailboxes by their string form. */
  toString(): string {
    return String(this.mailboxId);
  }
}

export function isSelection(value: unknown): value is Selection {
  return value instanceof Selection;
}

/** System flags every mailbox allows; everything else is a keyword. */
export const SYSTEM_FLAGS: readonly string[] = ['\\Answered', '\\Flagged', '\\Draft', '\\Deleted', '\\Seen'];

export function keywordsOf(flags: Iterable<string>): string[] {
  return [...flags].filter((f) => !f.startsWith('\\'));
}

/** Writes `* FLAGS (...)` with the system flags and every keyword the selection knows (RFC 3501 §7.2.6). */
export function writeFlags(sel: Selection, session: EngineSession): void {
  const all = [...SYSTEM_FLAGS, ...[...sel.keywords].sort()];
  session.writeStream.write({ compiled: compileResponse({ tag: '*', command: 'FLAGS', attributes: [all.map((value) => ({ type: 'atom', value }))] }) });
}
