// JMAP ids of this gateway's objects (RFC 8620 §1.2: 1-255 of A-Z a-z 0-9 - _). The
// database's numbers are used with a letter per type, so an id of one type never parses as
// another. An Email is one stored message: its mailbox and UID, so reading it needs no lookup.
// A move gives the message a new UID, hence a new Email id (the old one is destroyed).

export const accountIdOf = (userId: number): string => `A${userId}`;
export const mailboxIdOf = (id: number): string => `M${id}`;
export const threadIdOf = (id: number): string => `T${id}`;
export const emailIdOf = (mailboxId: number, uid: number): string => `E${mailboxId}-${uid}`;
/** The raw message of an Email. */
export const blobIdOf = (mailboxId: number, uid: number): string => `B${mailboxId}-${uid}`;

const NUMBER = /^[1-9][0-9]{0,15}$/;

function num(text: string | undefined): number | undefined {
  if (text === undefined || !NUMBER.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

export function parseAccountId(id: unknown): number | undefined {
  return typeof id === 'string' && id.startsWith('A') ? num(id.slice(1)) : undefined;
}

export function parseMailboxId(id: unknown): number | undefined {
  return typeof id === 'string' && id.startsWith('M') ? num(id.slice(1)) : undefined;
}

export interface EmailRef {
  readonly mailboxId: number;
  readonly uid: number;
}

export function parseEmailId(id: unknown): EmailRef | undefined {
  if (typeof id !== 'string' || !id.startsWith('E')) return undefined;
  const [mailbox, uid, ...rest] = id.slice(1).split('-');
  const mailboxId = num(mailbox);
  const u = num(uid);
  return mailboxId === undefined || u === undefined || rest.length > 0 ? undefined : { mailboxId, uid: u };
}
