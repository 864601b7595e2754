// Blob ids as the JMAP front-end reads them: a whole blob (`B12`, an upload or an Email's
// message) or a body part of a message blob (`B12_1_2`, ids.ts), whose bytes are the part's
// content after transfer decoding (RFC 8621 §4.1.4). A part is only ever read through its
// message's blob, so it is the account's exactly when the message is.
import { isInternetMessage } from '../../converters/message-check.js';
import type { BlobService } from '../../services/blob-service.js';
import type { UnlockedAccount } from '../../services/unlocked-account.js';
import { partBytes } from './email-body.js';
import { parseBlobId, parsePartBlobId } from './ids.js';

/** Whether `id` has the form of a blob id this gateway gives out. */
export function isBlobId(id: unknown): boolean {
  return parseBlobId(id) !== undefined || parsePartBlobId(id) !== undefined;
}

/** The bytes `id` names for `account`; undefined for an unknown id, another account's included. */
export async function readBlobById(blobs: Pick<BlobService, 'read'>, account: UnlockedAccount, id: unknown): Promise<Uint8Array | undefined> {
  const whole = parseBlobId(id);
  if (whole !== undefined) return blobs.read(account, whole);
  const part = parsePartBlobId(id);
  if (!part) return undefined;
  const raw = await blobs.read(account, part.blobId);
  return raw && isInternetMessage(raw) ? partBytes(raw, part.partId) : undefined;
}
