// Relay frames (docs/protocol.md §9): JSON objects with a `type`, one per WebSocket text
// message. Client frames are parsed here and nowhere else; a frame that fails becomes a
// RelayError `invalid` whose text names the problem. Relay frames are built by the helpers
// below so their shapes are the ones the schemas describe.
import { z } from 'zod';
import { hex32, hex64, issuesText, relayUrl, satoshis, unixSeconds } from '../core/schema-helpers.js';
import { RelayError } from './errors.js';

/** A client's label for a subscription or query: 1–64 printable ASCII characters. */
export const subId = z.string().regex(/^[\x21-\x7e]{1,64}$/, 'expected 1-64 printable ASCII characters');

/** Largest lists in a filter. */
export const FILTER_MAX_IDS = 500;
export const FILTER_MAX_KEYS = 100;
export const FILTER_MAX_KINDS = 32;

export const FilterSchema = z
  .strictObject({
    ids: z.array(hex32).min(1).max(FILTER_MAX_IDS).optional(),
    to: z.array(hex32).min(1).max(FILTER_MAX_KEYS).optional(),
    from: z.array(hex32).min(1).max(FILTER_MAX_KEYS).optional(),
    kinds: z.array(z.number().int().min(0).max(65535)).min(1).max(FILTER_MAX_KINDS).optional(),
    since: unixSeconds.optional(),
    until: unixSeconds.optional(),
    limit: z.number().int().min(1).optional(),
  })
  .refine((f) => f.since === undefined || f.until === undefined || f.since <= f.until, { message: 'since must not be after until', path: ['since'] });
export type Filter = z.infer<typeof FilterSchema>;

export const AuthFrameSchema = z.strictObject({
  type: z.literal('AUTH'),
  /** The key being proven, x-only hex. */
  pubkey: hex32,
  /** The URL the client connected to (ws:// or wss://), as it connected. */
  relay: z.string().min(1).max(512),
  /** The nonce of a CHALLENGE frame of this connection. */
  challenge: hex32,
  /** Unix seconds on the client's clock. */
  timestamp: unixSeconds,
  /** BIP340 over authDigest(pubkey, relay, challenge, timestamp). */
  signature: hex64,
});
export const SubFrameSchema = z.strictObject({ type: z.literal('SUB'), sub: subId, filter: FilterSchema });
export const UnsubFrameSchema = z.strictObject({ type: z.literal('UNSUB'), sub: subId });
export const QueryFrameSchema = z.strictObject({ type: z.literal('QUERY'), sub: subId, filter: FilterSchema });
/** The envelope is checked by core's verifyMessage, which names its own failures. */
/** At most this many relays a PUBLISH may ask to be forwarded to. */
export const MAX_TARGET_RELAYS = 8;
export const PublishFrameSchema = z.strictObject({
  type: z.literal('PUBLISH'),
  message: z.unknown().refine((m) => m !== undefined, 'required'),
  /** Relays this relay should forward the envelope to (federation); never forwarded further. */
  targetRelays: z.array(relayUrl).min(1).max(MAX_TARGET_RELAYS).optional(),
});

export type AuthFrame = z.infer<typeof AuthFrameSchema>;
export type SubFrame = z.infer<typeof SubFrameSchema>;
export type UnsubFrame = z.infer<typeof UnsubFrameSchema>;
export type QueryFrame = z.infer<typeof QueryFrameSchema>;
export type PublishFrame = z.infer<typeof PublishFrameSchema>;
export type ClientFrame = AuthFrame | SubFrame | UnsubFrame | QueryFrame | PublishFrame;
export type ClientFrameType = ClientFrame['type'];

const CLIENT_SCHEMAS = {
  AUTH: AuthFrameSchema,
  SUB: SubFrameSchema,
  UNSUB: UnsubFrameSchema,
  QUERY: QueryFrameSchema,
  PUBLISH: PublishFrameSchema,
} as const;

// Relay → client.
export const ChallengeFrameSchema = z.strictObject({ type: z.literal('CHALLENGE'), challenge: hex32 });
export const MsgFrameSchema = z.strictObject({ type: z.literal('MSG'), sub: subId, message: z.record(z.string(), z.unknown()) });
export const EoseFrameSchema = z.strictObject({ type: z.literal('EOSE'), sub: subId });
export const OkFrameSchema = z.strictObject({ type: z.literal('OK'), command: z.enum(['AUTH', 'SUB', 'UNSUB', 'PUBLISH']), ref: z.string() });
export const ErrorFrameSchema = z.strictObject({
  type: z.literal('ERROR'),
  command: z.enum(['AUTH', 'SUB', 'UNSUB', 'QUERY', 'PUBLISH']).optional(),
  ref: z.string().optional(),
  reason: z.string(),
});
export const NoticeFrameSchema = z.strictObject({ type: z.literal('NOTICE'), message: z.string() });
export const InvoiceFrameSchema = z.strictObject({
  type: z.literal('INVOICE'),
  /** The id of the envelope the fee is for. */
  ref: hex32,
  /** BOLT11 payment request. */
  bolt11: z.string().min(1),
  amount: satoshis,
  /** Unix seconds after which the invoice is no longer payable. */
  expiresAt: unixSeconds,
  /**
   * `relay-fee` (the default): the envelope was refused until the fee is paid. `postage`: the
   * envelope was accepted and is held for its recipient until the invoice is paid.
   */
  purpose: z.enum(['relay-fee', 'postage']).optional(),
  /** A page where a person can pay the invoice. */
  url: z.url({ protocol: /^https?$/ }).max(2048).optional(),
});
export const RelayFrameSchema = z.discriminatedUnion('type', [
  ChallengeFrameSchema,
  MsgFrameSchema,
  EoseFrameSchema,
  OkFrameSchema,
  ErrorFrameSchema,
  NoticeFrameSchema,
  InvoiceFrameSchema,
]);
export type RelayFrame = z.infer<typeof RelayFrameSchema>;
export type InvoiceFrame = z.infer<typeof InvoiceFrameSchema>;
export type ErrorFrame = z.infer<typeof ErrorFrameSchema>;

/** What a failed parse knows about the frame, so the ERROR can name its command and ref. */
export interface FrameContext {
  command?: ClientFrameType;
  ref?: string;
}

export class FrameError extends RelayError {
  constructor(
    detail: string,
    readonly context: FrameContext = {},
  ) {
    super('invalid', detail);
  }
}

function isClientType(t: unknown): t is ClientFrameType {
  return typeof t === 'string' && Object.hasOwn(CLIENT_SCHEMAS, t);
}

/** Parses the JSON value of one client frame, or throws a FrameError. */
export function parseClientFrame(value: unknown): ClientFrame {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || typeof (value as { type?: unknown }).type !== 'string') {
    throw new FrameError('frame must be a JSON object with a string "type"');
  }
  const raw = value as Record<string, unknown>;
  const type = raw.type;
  if (!isClientType(type)) throw new FrameError(`unknown frame type ${JSON.stringify(type).slice(0, 80)}`);
  const context: FrameContext = { command: type };
  if (typeof raw.sub === 'string' && subId.safeParse(raw.sub).success) context.ref = raw.sub;
  const parsed = CLIENT_SCHEMAS[type].safeParse(value);
  if (!parsed.success) throw new FrameError(`${type}: ${issuesText(parsed.error)}`.slice(0, 500), context);
  return parsed.data as ClientFrame;
}

/** Parses the text of one WebSocket message into a client frame, or throws a FrameError. */
export function decodeClientFrame(text: string): ClientFrame {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new FrameError('frame is not JSON');
  }
  return parseClientFrame(value);
}

export const frames = {
  challenge: (challenge: string): RelayFrame => ({ type: 'CHALLENGE', challenge }),
  msg: (sub: string, message: Record<string, unknown>): RelayFrame => ({ type: 'MSG', sub, message }),
  eose: (sub: string): RelayFrame => ({ type: 'EOSE', sub }),
  ok: (command: 'AUTH' | 'SUB' | 'UNSUB' | 'PUBLISH', ref: string): RelayFrame => ({ type: 'OK', command, ref }),
  error: (reason: string, context: FrameContext = {}): RelayFrame => ({
    type: 'ERROR',
    ...(context.command ? { command: context.command } : {}),
    ...(context.ref !== undefined ? { ref: context.ref } : {}),
    reason,
  }),
  notice: (message: string): RelayFrame => ({ type: 'NOTICE', message }),
  invoice: (invoice: Omit<InvoiceFrame, 'type'>): RelayFrame => ({ type: 'INVOICE', ...invoice }),
};
