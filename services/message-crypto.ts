// How message contents are kept: sealed to the user's public key at delivery (the gateway
// needs no secret to store mail), and under the user's symmetric mailbox key once the user
// has logged in. Both are bound to the owning user, so a blob cannot be moved to another.
import {
  aeadDecrypt, aeadEncrypt, concatBytes, isValidPrivateKey, ecdhX, fromBase64, fromHex, fromUtf8, hkdfSha256, isLnmpError, openMessage, publicKeyOf, utf8, verifyMessage, type Rng, type VerifiedMessage,
} from '../core/index.js';
import { receivedLnmpMime } from '../converters/lnmp-mail.js';
import { headerFields } from '../converters/header-fields.js';
import { decodeSummary, encodeSummary, type MessageSummary } from '../converters/message-summary.js';
import { isConverterError } from '../converters/errors.js';
import { boxOpen, boxSeal, keyedHash } from './secret-box.js';
import { ServiceError } from './errors.js';

export const SEAL_TO_PUBLIC_KEY = 1;
export const SEAL_MAILBOX_KEY = 2;
/** Like seal 1, but what is sealed is a signed LNMP envelope whose content carries the MIME. */
export const SEAL_ENVELOPE = 3;
/** An LNMP envelope received from another identity, as it arrived (receivedBlobBytes), sealed like seal 1. */
export const SEAL_RECEIVED = 4;

const blobContext = (userId: number) => `blob:${userId}`;

/**
 * Blobs sealed to a public key (seal 1), binary:
 *   version 0x01 | E (32, x-only ephemeral key) | salt (16) | nonce (12) | ChaCha20-Poly1305(ct || tag)
 * with key = HKDF-SHA256(ikm = x(e·R), salt = E || R || salt16, info = "lnmp-gateway/v1/delivery")
 * and AAD = "blob:<userId>". The ephemeral key e is kept in memory only and reused for a
 * bounded number of deliveries to the same recipient (DELIVERY_KEY_MAX_USES / _TTL_MS): the
 * per-blob salt gives every blob its own key, and the ECDH — 90% of the cost of sealing — is
 * paid once per ephemeral key instead of once per message. e never leaves memory, so a
 * database dump still needs the recipient's private key; and the gateway already sees these
 * messages in clear while it receives them, so holding e briefly exposes nothing more.
 */
const DELIVERY_VERSION = 1;
const DELIVERY_HEADER = 1 + 32 + 16 + 12;
const DELIVERY_INFO = utf8('lnmp-gateway/v1/delivery');
export const DELIVERY_KEY_MAX_USES = 1000;
export const DELIVERY_KEY_TTL_MS = 60_000;
export const DELIVERY_KEY_CACHE_SIZE = 10_000;

function deliveryKey(shared: Uint8Array, ephemeralPub: Uint8Array, recipientPub: Uint8Array, salt: Uint8Array): Uint8Array {
  return hkdfSha256(shared, concatBytes(ephemeralPub, recipientPub, salt), DELIVERY_INFO, 32);
}

interface EphemeralEntry {
  pub: Uint8Array;
  shared: Uint8Array;
  uses: number;
  expires: number;
}

export class DeliverySealer {
  readonly #rng: Rng;
  readonly #now: () => number;
  readonly #cache = new Map<string, EphemeralEntry>();

  constructor(rng: Rng, now: () => number = Date.now) {
    this.#rng = rng;
    this.#now = now;
  }

  seal(publicKey: string, userId: number, raw: Uint8Array): Uint8Array {
    const recipient = fromHex(publicKey, 32, 'public key');
    const entry = this.#entry(publicKey, recipient);
    const salt = this.#rng(16);
    const nonce = this.#rng(12);
    const ct = aeadEncrypt('ChaCha20-Poly1305', deliveryKey(entry.shared, entry.pub, recipient, salt), nonce, raw, utf8(blobContext(userId)));
    const out = new Uint8Array(DELIVERY_HEADER + ct.length);
    out[0] = DELIVERY_VERSION;
    out.set(entry.pub, 1);
    out.set(salt, 33);
    out.set(nonce, 49);
    out.set(ct, DELIVERY_HEADER);
    return out;
  }

  #entry(publicKey: string, recipient: Uint8Array): EphemeralEntry {
    const now = this.#now();
    const cached = this.#cache.get(publicKey);
    if (cached && cached.uses < DELIVERY_KEY_MAX_USES && cached.expires > now) {
      cached.uses++;
      return cached;
    }
    if (cached) {
      cached.shared.fill(0);
      this.#cache.delete(publicKey);
    }
    let secret = this.#rng(32);
    while (!isValidPrivateKey(secret)) secret = this.#rng(32);
    const entry = { pub: publicKeyOf(secret), shared: ecdhX(secret, recipient), uses: 1, expires: now + DELIVERY_KEY_TTL_MS };
    secret.fill(0);
    if (this.#cache.size >= DELIVERY_KEY_CACHE_SIZE) {
      const oldest = this.#cache.keys().next().value as string;
      this.#cache.get(oldest)!.shared.fill(0);
      this.#cache.delete(oldest);
    }
    this.#cache.set(publicKey, entry);
    return entry;
  }
}

/** Opens seal-1 blobs; `sharedCache` lets a batch reuse the ECDH of a repeated ephemeral key. */
export function openDelivered(data: Uint8Array, userId: number, privateKey: Uint8Array, sharedCache?: Map<string, Uint8Array>): Uint8Array {
  if (data.length < DELIVERY_HEADER + 16 || data[0] !== DELIVERY_VERSION) throw new ServiceError('integrity', `sealed blob of user ${userId} is malformed`);
  const ephemeralPub = data.subarray(1, 33);
  const cacheKey = Buffer.from(ephemeralPub).toString('hex');
  let shared = sharedCache?.get(cacheKey);
  try {
    if (!shared) {
      shared = ecdhX(privateKey, ephemeralPub);
      sharedCache?.set(cacheKey, shared);
    }
    const key = deliveryKey(shared, ephemeralPub, publicKeyOf(privateKey), data.subarray(33, 49));
    return aeadDecrypt('ChaCha20-Poly1305', key, data.subarray(49, 61), data.subarray(DELIVERY_HEADER), utf8(blobContext(userId)));
  } catch (cause) {
    if (isLnmpError(cause)) throw new ServiceError('integrity', `sealed blob of user ${userId} does not open: ${cause.message}`, { cause });
    throw cause;
  }
}

/** What opening and re-sealing blobs needs of an unlocked account (UnlockedAccount has it). */
export interface BlobKeys {
  readonly privateKey: Uint8Array;
  /** The owner's address: received LNMP mail without MIME is shown addressed to it. */
  readonly address?: string;
  subkey(purpose: string): Uint8Array;
}

export function sealWithMailboxKey(keys: BlobKeys, userId: number, raw: Uint8Array, rng: Rng): Uint8Array {
  return boxSeal(keys.subkey('blob'), raw, blobContext(userId), rng);
}

const summaryContext = (userId: number) => `summary:${userId}`;

/**
 * A blob's summary (converters/message-summary.ts), sealed like seal-2 data: under the mailbox
 * key, bound to the owner, with its own context so a summary cannot stand in for a blob's data.
 */
export function sealSummary(keys: BlobKeys, userId: number, summary: MessageSummary, rng: Rng): Uint8Array {
  return boxSeal(keys.subkey('blob'), encodeSummary(summary), summaryContext(userId), rng);
}

/** Opens a sealed summary; tampering, another user's summary or bytes that are not one give ServiceError `integrity`. */
export function openSummary(keys: BlobKeys, userId: number, sealed: Uint8Array): MessageSummary {
  const bytes = boxOpen(keys.subkey('blob'), sealed, summaryContext(userId));
  try {
    return decodeSummary(bytes);
  } catch (cause) {
    if (isConverterError(cause)) throw new ServiceError('integrity', `summary of user ${userId}: ${cause.message}`, { cause });
    throw cause;
  }
}

/** Opens a stored blob of any kind to its MIME bytes; any tampering gives ServiceError `integrity`. */
export function openBlob(kind: number, data: Uint8Array, userId: number, keys: BlobKeys, sharedCache?: Map<string, Uint8Array>): Uint8Array {
  if (kind === SEAL_MAILBOX_KEY) return boxOpen(keys.subkey('blob'), data, blobContext(userId));
  if (kind === SEAL_TO_PUBLIC_KEY) return openDelivered(data, userId, keys.privateKey, sharedCache);
  if (kind === SEAL_ENVELOPE) return mimeOfEnvelope(openDelivered(data, userId, keys.privateKey, sharedCache), userId, keys.privateKey);
  if (kind === SEAL_RECEIVED) return mimeOfReceived(openDelivered(data, userId, keys.privateKey, sharedCache), userId, keys);
  throw new ServiceError('integrity', `unknown blob seal ${kind}`);
}

/**
 * The MIME an envelope blob carries, after checking the envelope's id and signature and
 * opening its content with the recipient's key. Envelopes stored here always carry `mime`
 * (they are made from MIME by the MX and by submission).
 */
function mimeOfEnvelope(json: Uint8Array, userId: number, privateKey: Uint8Array): Uint8Array {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fromUtf8(json));
  } catch (cause) {
    throw new ServiceError('integrity', `envelope blob of user ${userId} is not JSON`, { cause });
  }
  const verified = verifyMessage(parsed);
  if (!verified.ok) throw new ServiceError('integrity', `envelope blob of user ${userId}: ${verified.error.message}`, { cause: verified.error });
  try {
    const content = openMessage(verified.message, privateKey);
    if (content.mime === undefined) throw new ServiceError('integrity', `envelope blob of user ${userId} carries no MIME`);
    return fromBase64(content.mime);
  } catch (cause) {
    if (isLnmpError(cause)) throw new ServiceError('integrity', `envelope blob of user ${userId} does not open: ${cause.message}`, { cause });
    throw cause;
  }
}

/** What a seal-4 blob holds: the envelope as received and the gateway that verified it. */
export interface ReceivedBlob {
  readonly authservId: string;
  readonly envelope: VerifiedMessage;
}

export function receivedBlobBytes(blob: ReceivedBlob): Uint8Array {
  return utf8(JSON.stringify({ authservId: blob.authservId, envelope: blob.envelope }));
}

/** The MIME view of a received LNMP envelope (converters/lnmp-mail.ts), after verifying it again. */
function mimeOfReceived(json: Uint8Array, userId: number, keys: BlobKeys): Uint8Array {
  let parsed: { authservId?: unknown; envelope?: unknown };
  try {
    parsed = JSON.parse(fromUtf8(json)) as typeof parsed;
  } catch (cause) {
    throw new ServiceError('integrity', `received envelope of user ${userId} is not JSON`, { cause });
  }
  const verified = verifyMessage(parsed.envelope);
  if (!verified.ok || typeof parsed.authservId !== 'string') throw new ServiceError('integrity', `received envelope of user ${userId}: ${verified.ok ? 'no authserv-id' : verified.error.message}`);
  try {
    const content = openMessage(verified.message, keys.privateKey);
    return receivedLnmpMime(content, verified.message, { authservId: parsed.authservId, recipient: keys.address ?? 'undisclosed-recipients@lnmp.invalid' });
  } catch (cause) {
    if (isLnmpError(cause)) throw new ServiceError('integrity', `received envelope of user ${userId} does not open: ${cause.message}`, { cause });
    throw cause;
  }
}

/** Keyed hash of a Message-ID, so threads can be joined without storing ids in clear. */
export function threadKey(keys: BlobKeys, messageId: string): Uint8Array {
  return keyedHash(keys.subkey('thread'), messageId.toLowerCase());
}

const MSGID_RE = /<[^<>\s]+>/g;

/**
 * The header section's Message-ID and the ids it refers to (In-Reply-To, References).
 * Only what threading needs; full MIME parsing belongs to converters/.
 */
export function threadingIds(raw: Uint8Array): { messageId: string | undefined; refs: string[] } {
  const headers = headerFields(raw);
  const first = (name: string) => headers.find((h) => h.name === name)?.value;
  const messageId = first('message-id')?.match(MSGID_RE)?.[0];
  const refs = [...(first('references')?.match(MSGID_RE) ?? []), ...(first('in-reply-to')?.match(MSGID_RE) ?? [])];
  return { messageId, refs: [...new Set(refs)].filter((r) => r !== messageId) };
}
