// Attachments of an incoming mail as LNMP FileAttachment entries. The bytes stay inside the
// encrypted `mime`; the entry names them: `ipfsHash` is the CIDv1 (raw codec, sha256) of the
// plaintext bytes, so the same file gets the same CID wherever it is published.
import { CID } from 'multiformats/cid';
import * as raw from 'multiformats/codecs/raw';
import * as Digest from 'multiformats/hashes/digest';
import { sha256 as sha256Hasher } from 'multiformats/hashes/sha2';
import { fromHex, hkdfSha256, sha256, toHex, utf8, type FileAttachment } from '../core/index.js';
import { MimeLimits } from './limits.js';
import { truncateChars } from './truncate.js';

/** CIDv1 text form (base32, `bafkrei…`) of raw bytes hashed with sha256. */
export function rawCid(digest: Uint8Array): string {
  return CID.createV1(raw.code, Digest.create(sha256Hasher.code, digest)).toString();
}

/**
 * Chooses `encryptionKey` (hex32) for attachment `index` (0-based) whose plaintext sha256 is
 * `sha256Hex`. The converters have no randomness: a caller that will publish an encrypted copy
 * of the file passes a function returning fresh random keys.
 */
export type AttachmentKeyFn = (index: number, sha256Hex: string) => string;

const KEY_INFO = utf8('lnmp/mime-attachment-key/v1');

/**
 * The default key: HKDF-SHA256 of the file's sha256 (convergent). It is NOT secret from anyone
 * who has the file or its CID; it exists because the schema requires a key, and protects
 * nothing, since no copy of the file is encrypted under it (the bytes live in `mime`).
 */
export const contentDerivedAttachmentKey: AttachmentKeyFn = (_index, sha256Hex) =>
  toHex(hkdfSha256(fromHex(sha256Hex, 32, 'sha256'), new Uint8Array(0), KEY_INFO, 32));

const MIME_TYPE = /^[\w.+-]+\/[\w.+-]+$/;

export interface AttachmentPart {
  content: Uint8Array;
  filename?: string | undefined;
  contentType?: string | undefined;
}

/** One FileAttachment, valid against the schema: filename and type fall back, long text is cut. */
export function toFileAttachment(part: AttachmentPart, index: number, keyFn: AttachmentKeyFn): FileAttachment {
  const digest = sha256(part.content);
  const sha256Hex = toHex(digest);
  const filename = truncateChars(part.filename?.trim() ?? '', MimeLimits.MAX_FILENAME_CHARS) || `attachment-${index + 1}`;
  const type = (part.contentType ?? '').trim().toLowerCase();
  const mimeType = MIME_TYPE.test(type) && type.length <= MimeLimits.MAX_MIME_TYPE_CHARS ? type : 'application/octet-stream';
  return {
    ipfsHash: rawCid(digest),
    filename,
    size: part.content.length,
    mimeType,
    encryptionKey: keyFn(index, sha256Hex),
    algorithm: 'ChaCha20-Poly1305',
    checksums: { sha256: sha256Hex },
  };
}
