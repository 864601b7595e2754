// State strings (RFC 8620 §1.6): the account's modseq, the counter every mailbox change
// takes (services/journal.ts), so IMAP MODSEQ and JMAP state move together. One counter
// serves every type: a state changes also when only another type changed, which /changes
// then answers with no ids — allowed, and it keeps IMAP and JMAP on one clock.

export const stateOf = (modseq: number): string => String(modseq);

/** The modseq of a state string this gateway gave out, or undefined. */
export function parseState(state: unknown): number | undefined {
  if (typeof state !== 'string' || !/^(0|[1-9][0-9]{0,15})$/.test(state)) return undefined;
  const n = Number(state);
  return Number.isSafeInteger(n) ? n : undefined;
}
