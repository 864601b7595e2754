// MessageContent: the encrypted part of an LNMP message, with every field of the design
// document. `mime` is the gateway's addition: the original RFC 5322 message, byte-exact, as
// base64, for mail that arrived over SMTP.
import { z } from 'zod';
import { Limits } from './constants.js';
import { hex32, unixSeconds, satoshis, base64String } from './schema-helpers.js';

export const CONTENT_TYPES = ['text', 'voice', 'file', 'payment', 'receipt'] as const;
export const FORMATTINGS = ['plain', 'markdown', 'html'] as const;

const shortText = (max: number) => z.string().max(max);

export const FileAttachmentSchema = z.strictObject({
  /** Content identifier of the encrypted file (CIDv0/v1 text form). */
  ipfsHash: z.string().min(1).max(128).regex(/^[A-Za-z0-9]+$/, 'expected a CID in base32 or base58'),
  filename: shortText(255).min(1),
  size: z.number().int().min(0).max(2 ** 53 - 1),
  mimeType: shortText(255).regex(/^[\w.+-]+\/[\w.+-]+$/, 'expected type/subtype'),
  /** Symmetric key of the file, hex; safe because the whole content is encrypted. */
  encryptionKey: hex32,
  algorithm: z.enum(['ChaCha20-Poly1305', 'AES-256-GCM']),
  price: satoshis.optional(),
  checksums: z.strictObject({ sha256: hex32 }),
});

export const ReactionSchema = z.strictObject({
  from: hex32,
  emoji: shortText(64).min(1),
  timestamp: unixSeconds,
});

export const EditSchema = z.strictObject({
  timestamp: unixSeconds,
  body: z.string(),
  subject: shortText(Limits.MAX_SUBJECT_CHARS).optional(),
});

export const MessageContentSchema = z.strictObject({
  type: z.enum(CONTENT_TYPES),
  subject: shortText(Limits.MAX_SUBJECT_CHARS).optional(),
  body: z.string(),
  threadId: shortText(128).optional(),
  replyTo: shortText(128).optional(),
  attachments: z.array(FileAttachmentSchema).max(Limits.MAX_ATTACHMENTS).optional(),
  formatting: z.enum(FORMATTINGS).optional(),
  mentions: z.array(hex32).max(Limits.MAX_MENTIONS).optional(),
  reactions: z.array(ReactionSchema).max(Limits.MAX_REACTIONS).optional(),
  editHistory: z.array(EditSchema).max(Limits.MAX_EDITS).optional(),
  deleteAfter: unixSeconds.optional(),
  readReceipts: z.boolean().optional(),
  mime: base64String(Math.ceil(Limits.MAX_CONTENT_BYTES / 3) * 4).optional(),
});

export type MessageContent = z.infer<typeof MessageContentSchema>;
export type FileAttachment = z.infer<typeof FileAttachmentSchema>;
