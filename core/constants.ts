// Protocol constants of LNMP v1, named as in the LNMP design document, plus the limits this
// implementation enforces. Every limit is named here so relays and gateways agree on them.

export const PROTOCOL_VERSION = '1.0.0';
/** Envelope and document format version carried in the `version` field. */
export const ENVELOPE_VERSION = 1 as const;
/** LNMP on a phone keypad. */
export const DEFAULT_PORT = 7138;

export const MessageKinds = {
  TEXT: 1,
  VOICE: 2,
  FILE: 3,
  PAYMENT: 4,
  RECEIPT: 5,
  PRESENCE: 6,
  TYPING: 7,
  REACTION: 8,
} as const;
export type MessageKind = (typeof MessageKinds)[keyof typeof MessageKinds];

export const RelayCommands = {
  // Client to relay
  AUTH: 'AUTH',
  SUB: 'SUB',
  UNSUB: 'UNSUB',
  PUBLISH: 'PUBLISH',
  QUERY: 'QUERY',
  // Relay to client
  MSG: 'MSG',
  NOTICE: 'NOTICE',
  OK: 'OK',
  ERROR: 'ERROR',
  INVOICE: 'INVOICE',
} as const;

/** BIP32 path of the primary identity key (the design document's `m/138'/0'/0'`). */
export const IDENTITY_PATH = "m/138'/0'/0'";
/** Temporary identity N is at `m/138'/1'/N'`: hardened, so unlinkable without the seed. */
export const TEMPORARY_PATH_PREFIX = "m/138'/1'";

export const Limits = {
  /** Largest plaintext content (JSON, before padding): room for a 25 MB mail carried as base64. */
  MAX_CONTENT_BYTES: 40 * 1024 * 1024,
  /** Recipients per envelope (each costs one ECDH on the sender's side). */
  MAX_RECIPIENTS: 100,
  MAX_SUBJECT_CHARS: 998,
  MAX_ATTACHMENTS: 100,
  MAX_RELAYS: 16,
  MAX_URL_CHARS: 512,
  MAX_USERNAME_CHARS: 64,
  MAX_HOST_CHARS: 253,
  MAX_MENTIONS: 256,
  MAX_REACTIONS: 1000,
  MAX_EDITS: 100,
  MAX_ROUTE_CHARS: 4096,
  MAX_ADDRESSES_PER_IDENTITY: 64,
  MAX_PROOFS_PER_IDENTITY: 16,
  MAX_FEATURES: 64,
} as const;

export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type Priority = (typeof PRIORITIES)[number];
