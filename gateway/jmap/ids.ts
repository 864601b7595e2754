// JMAP ids of this gateway's objects (RFC 8620 §1.2: 1-255 of A-Z a-z 0-9 - _). The
// database's numbers are used with a letter per type, so an id of one type never parses as
// another. An Email is one stored message content: its blob, which copies share and moves
// keep, so the id is stable across moves and one Email may be in several mailboxes (RFC 8621
// §4.1.1). The Email's raw message is the same blob, under the blob letter.

export const accountIdOf = (userId: number): string => `A${userId}`;
export const mailboxIdOf = (id: number): string => `M${id}`;
export const threadIdOf = (id: number): string => `T${id}`;
export const emailIdOf = (blobId: number): string => `E${blobId}`;
/** The raw message of an Email. */
export const blobIdOf = (blobId: number): string => `B${blobId}`;
/** The one identity of an account (RFC 8621 §6): the user's own address. */
export const identityIdOf = (userId: number): string => `I${userId}`;
/** An identity the user added (Identity/set): its row, after `I_` so it never reads as the default one. */
export const addedIdentityIdOf = (rowId: number): string => `I_${rowId}`;
export const submissionIdOf = (id: number): string => `S${id}`;
/** A postage case (table postage). */
export const postageIdOf = (id: number): string => `P${id}`;
/** A contact: the keyed hash it is stored under (services/contact-service.ts), so the id reveals nothing of the address. */
export const contactIdOf = (hash: Uint8Array): string => `C${Buffer.from(hash).toString('base64url')}`;

const NUMBER = /^[1-9][0-9]{0,15}$/;

function num(text: string | undefined): number | undefined {
  if (text === undefined || !NUMBER.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

function parse(letter: string, id: unknown): number | undefined {
  return typeof id === 'string' && id.startsWith(letter) ? num(id.slice(1)) : undefined;
}

export const parseAccountId = (id: unknown): number | undefined => parse('A', id);
export const parseMailboxId = (id: unknown): number | undefined => parse('M', id);
export const parseThreadId = (id: unknown): number | undefined => parse('T', id);
/** The blob id an Email id names. */
export const parseEmailId = (id: unknown): number | undefined => parse('E', id);
export const parseBlobId = (id: unknown): number | undefined => parse('B', id);
export const parseIdentityId = (id: unknown): number | undefined => parse('I', id);
export const parseAddedIdentityId = (id: unknown): number | undefined => (typeof id === 'string' && id.startsWith('I_') ? num(id.slice(2)) : undefined);
export const parseSubmissionId = (id: unknown): number | undefined => parse('S', id);
export const parsePostageId = (id: unknown): number | undefined => parse('P', id);
/** The 32-byte hash a contact id names. */
export const parseContactId = (id: unknown): Uint8Array | undefined => (typeof id === 'string' && /^C[A-Za-z0-9_-]{43}$/.test(id) ? new Uint8Array(Buffer.from(id.slice(1), 'base64url')) : undefined);

/**
 * A body part of a message blob (RFC 8621 §4.1.4): the message's blob id, then the part's dotted
 * partId with `_` for `.`, e.g. `B12_1_2` for part 1.2 of `B12`; its bytes are the part's
 * content after transfer decoding. The `_` keeps it from ever parsing as a whole blob. The parts
 * of an attached message (itself `B12_2`) follow IMAP's numbering: `B12_2_1` is its part 1.
 */
export const partBlobIdOf = (messageBlobId: string, partId: string): string => `${messageBlobId}_${partId.replaceAll('.', '_')}`;
const PART_BLOB = /^B([1-9][0-9]{0,15})_([1-9][0-9]{0,5}(?:_[1-9][0-9]{0,5}){0,31})$/;
/** The blob and dotted partId a part blob id names. */
export function parsePartBlobId(id: unknown): { blobId: number; partId: string } | undefined {
  const m = typeof id === 'string' ? PART_BLOB.exec(id) : null;
  const blobId = m ? num(m[1]) : undefined;
  return blobId === undefined ? undefined : { blobId, partId: m![2]!.replaceAll('_', '.') };
}
