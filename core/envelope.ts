// The LNMP v1 envelope (the design document's LNMPMessage). Canonical form: RFC 8785 JCS of
// the envelope without `id` and `signature`; id = sha256(canonical form); signature = BIP340
// over the 32 id bytes. verifyMessage is the only way to obtain a VerifiedMessage.
import { z } from 'zod';
import { LnmpError, type CoreErrorCode } from './errors.js';
import { fromHex, fromUtf8, toHex, utf8 } from './bytes.js';
import { sha256 } from './hash.js';
import { canonicalize } from './jcs.js';
import { ENVELOPE_VERSION, Limits, MessageKinds, PRIORITIES, type MessageKind, type Priority } from './constants.js';
import { schnorrSign, schnorrVerify, publicKeyHexOf } from './secp256k1.js';
import { open, seal, SealedPayloadSchema, type SealedPayload } from './seal.js';
import { MessageContentSchema, type MessageContent } from './content.js';
import type { Rng } from './keys.js';
import type { AeadAlgorithm } from './aead.js';
import { hex32, hex64, issuesText, relayUrl, satoshis, unixSeconds } from './schema-helpers.js';

const KIND_VALUES = Object.values(MessageKinds) as [MessageKind, ...MessageKind[]];

export const PaymentSchema = z.strictObject({
  /** 32-byte Lightning preimage, hex. */
  preimage: hex32,
  /** Satoshis paid. */
  amount: satoshis,
  /** Payment routing hints (opaque to the protocol). */
  route: z.string().max(Limits.MAX_ROUTE_CHARS).optional(),
});

export const MessageSchema = z
  .strictObject({
    version: z.literal(ENVELOPE_VERSION),
    id: hex32,
    kind: z.literal(KIND_VALUES),
    from: hex32,
    to: z.array(hex32).min(1).max(Limits.MAX_RECIPIENTS),
    timestamp: unixSeconds,
    payment: PaymentSchema.optional(),
    encrypted: SealedPayloadSchema,
    relays: z.array(relayUrl).max(Limits.MAX_RELAYS),
    expiry: unixSeconds.optional(),
    priority: z.enum(PRIORITIES),
    signature: hex64,
  })
  .superRefine((m, ctx) => {
    if (new Set(m.to).size !== m.to.length) ctx.addIssue({ code: 'custom', path: ['to'], message: 'duplicate recipient' });
    if (m.payment && m.to.length !== 1) ctx.addIssue({ code: 'custom', path: ['payment'], message: 'a paid envelope has exactly one recipient' });
    if (m.expiry !== undefined && m.expiry <= m.timestamp) ctx.addIssue({ code: 'custom', path: ['expiry'], message: 'expiry must be after timestamp' });
    const keyed = new Set(m.encrypted.keys.map((k) => k.to));
    for (const r of [...m.to, m.from]) {
      if (!keyed.has(r)) ctx.addIssue({ code: 'custom', path: ['encrypted', 'keys'], message: `no wrapped key for ${r}` });
    }
    if (keyed.size !== m.encrypted.keys.length || keyed.size !== new Set([...m.to, m.from]).size) {
      ctx.addIssue({ code: 'custom', path: ['encrypted', 'keys'], message: 'wrapped keys must be exactly the recipients and the sender' });
    }
  });

export type LnmpMessage = z.infer<typeof MessageSchema>;
declare const verifiedBrand: unique symbol;
/** An envelope whose schema, id and signature have been checked by verifyMessage. */
export type VerifiedMessage = LnmpMessage & { readonly [verifiedBrand]: true };

export type UnsignedMessage = Omit<LnmpMessage, 'id' | 'signature'>;

/** The exact bytes that are hashed into the id. */
export function canonicalBytes(msg: UnsignedMessage | LnmpMessage): Uint8Array {
  const { id: _id, signature: _sig, ...rest } = msg as LnmpMessage;
  return utf8(canonicalize(rest));
}

export function computeId(msg: UnsignedMessage | LnmpMessage): string {
  return toHex(sha256(canonicalBytes(msg)));
}

/** AAD that binds the relay-visible header to the encrypted content. */
export function contentAad(h: Pick<LnmpMessage, 'version' | 'kind' | 'from' | 'to' | 'timestamp'>): Uint8Array {
  return utf8(canonicalize({ context: 'lnmp/v1/content', version: h.version, kind: h.kind, from: h.from, to: h.to, timestamp: h.timestamp }));
}

export interface CreateMessageParams {
  /** Sender's private key (32 bytes). */
  privateKey: Uint8Array;
  to: readonly string[];
  content: MessageContent;
  /** Unix seconds; passed in so that creation is deterministic under test. */
  timestamp: number;
  kind?: MessageKind;
  relays?: string[];
  expiry?: number;
  priority?: Priority;
  payment?: LnmpMessage['payment'];
  algorithm?: AeadAlgorithm;
}

/**
 * Builds and encrypts an envelope (to every recipient and the sender) without signing it.
 * A paying sender drafts first, gets an invoice bound to payloadDigest(draft.encrypted),
 * pays, then signs the draft with the payment attached.
 */
export function draftMessage(p: CreateMessageParams, rng: Rng): UnsignedMessage {
  const from = publicKeyHexOf(p.privateKey);
  const to = p.to.map((t) => t.toLowerCase());
  const kind = p.kind ?? MessageKinds.TEXT;
  const content = MessageContentSchema.safeParse(p.content);
  if (!content.success) throw new LnmpError('invalid_content', issuesText(content.error));
  const header = { version: ENVELOPE_VERSION, kind, from, to, timestamp: p.timestamp };
  const plaintext = utf8(canonicalize(content.data));
  const encrypted = seal(plaintext, [...to, from], rng, { algorithm: p.algorithm ?? 'ChaCha20-Poly1305', aad: contentAad(header) });
  return {
    ...header,
    ...(p.payment ? { payment: p.payment } : {}),
    encrypted,
    relays: p.relays ?? [],
    ...(p.expiry !== undefined ? { expiry: p.expiry } : {}),
    priority: p.priority ?? 'normal',
  };
}

/** Validates the draft, computes the id and signs it. */
export function signMessage(unsigned: UnsignedMessage, privateKey: Uint8Array, rng: Rng): VerifiedMessage {
  if (publicKeyHexOf(privateKey) !== unsigned.from) throw new LnmpError('invalid_private_key', 'private key does not belong to the envelope sender');
  const parsed = MessageSchema.safeParse({ ...unsigned, id: '0'.repeat(64), signature: '0'.repeat(128) });
  if (!parsed.success) throw new LnmpError('invalid_envelope', issuesText(parsed.error));
  const { id: _id, signature: _sig, ...clean } = parsed.data;
  const id = computeId(clean);
  // schnorrSign verifies its own output, so the result is verified by construction.
  const signature = toHex(schnorrSign(fromHex(id, 32), privateKey, rng(32)));
  return { ...clean, id, signature } as VerifiedMessage;
}

/** Drafts and signs in one step. */
export function createMessage(p: CreateMessageParams, rng: Rng): VerifiedMessage {
  return signMessage(draftMessage(p, rng), p.privateKey, rng);
}

export type VerifyResult = { ok: true; message: VerifiedMessage } | { ok: false; error: LnmpError };

function fail(code: CoreErrorCode, detail: string): VerifyResult {
  return { ok: false, error: new LnmpError(code, detail) };
}

/**
 * Checks schema, id and signature. Never throws: every failure is a result with a stable
 * code (invalid_envelope, unsupported_version, unknown_algorithm, id_mismatch, bad_signature).
 */
export function verifyMessage(input: unknown): VerifyResult {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return fail('invalid_envelope', 'envelope must be a JSON object');
  const raw = input as Record<string, unknown>;
  if (raw.version !== ENVELOPE_VERSION) return fail('unsupported_version', `envelope version ${JSON.stringify(raw.version)} is not ${ENVELOPE_VERSION}`);
  const enc = raw.encrypted as Record<string, unknown> | undefined;
  if (enc && typeof enc === 'object' && 'algorithm' in enc && !['ChaCha20-Poly1305', 'AES-256-GCM'].includes(enc.algorithm as string)) {
    return fail('unknown_algorithm', `unsupported algorithm ${JSON.stringify(enc.algorithm)}`);
  }
  let parsed: ReturnType<typeof MessageSchema.safeParse>;
  try {
    parsed = MessageSchema.safeParse(input);
  } catch (e) {
    return fail('invalid_envelope', (e as Error).message);
  }
  if (!parsed.success) {
    return fail('invalid_envelope', issuesText(parsed.error));
  }
  const msg = parsed.data;
  // The digest's bytes are what the signature covers: hashed once, not decoded back from hex.
  const idBytes = sha256(canonicalBytes(msg));
  const id = toHex(idBytes);
  if (id !== msg.id) return fail('id_mismatch', `id ${msg.id} does not match canonical hash ${id}`);
  if (!schnorrVerify(Buffer.from(msg.signature, 'hex'), idBytes, Buffer.from(msg.from, 'hex'))) {
    return fail('bad_signature', 'signature does not verify under the sender key');
  }
  return { ok: true, message: msg as VerifiedMessage };
}

/** Decrypts and validates the content of a verified envelope with a recipient's (or the sender's) key. */
export function openMessage(msg: VerifiedMessage, privateKey: Uint8Array): MessageContent {
  const plaintext = open(msg.encrypted, privateKey, { aad: contentAad(msg) });
  let json: unknown;
  try {
    json = JSON.parse(fromUtf8(plaintext));
  } catch (cause) {
    throw new LnmpError('invalid_content', 'decrypted content is not UTF-8 JSON', { cause });
  }
  const r = MessageContentSchema.safeParse(json);
  if (!r.success) throw new LnmpError('invalid_content', issuesText(r.error));
  return r.data;
}

export type { SealedPayload };
