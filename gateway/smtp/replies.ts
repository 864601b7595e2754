// Every SMTP reply the MX front-end chooses, and the one mapping from service and storage
// errors to them. smtp-server sends an Error's `responseCode` and `message`; its automatic
// enhanced status codes are switched off (they follow the basic code only, so 554 could never
// be 5.7.1), and each reply here carries its own RFC 3463 code in the text.
import { isServiceError, type ServiceErrorCode } from '../../services/errors.js';
import { StorageError } from '../../storage/errors.js';

/** An SMTP reply as smtp-server takes it from a hook's callback. */
export class SmtpReply extends Error {
  override readonly name = 'SmtpReply';
  readonly responseCode: number;

  constructor(responseCode: number, text: string, options?: { cause?: unknown }) {
    super(text, options);
    this.responseCode = responseCode;
  }

  /** The reply line as the client sees it, e.g. `550 5.1.1 ...`. */
  get line(): string {
    return `${this.responseCode} ${this.message}`;
  }

  /** 4xx: the sender keeps the message and retries. */
  get temporary(): boolean {
    return this.responseCode >= 400 && this.responseCode < 500;
  }
}

export const REPLY_TEXT = {
  unknownUser: '5.1.1 no such user here',
  relayDenied: '5.7.1 relaying denied',
  tooLarge: '5.3.4 message too big for system',
  bareLf: '5.5.2 bare <LF> received; lines must end with <CR><LF>',
  localError: '4.3.0 temporary local problem, try again later',
  mailboxFull: '4.2.2 mailbox full, try again later',
  tooManyRecipients: '4.5.3 too many recipients',
  encryptionRequired: '5.7.11 encryption required for requested authentication mechanism',
  authFailed: '5.7.8 authentication credentials invalid',
  authThrottled: '4.7.0 too many failed logins, try again later',
  authUnavailable: '4.7.0 temporary authentication failure',
  senderNotOwned: '5.7.1 sender address not owned by the authenticated user',
  fromNotOwned: '5.7.1 From header must name only addresses of the authenticated user',
  badAddress: '5.1.3 bad recipient address syntax',
} as const;

export const replies = {
  unknownUser: () => new SmtpReply(550, REPLY_TEXT.unknownUser),
  relayDenied: () => new SmtpReply(554, REPLY_TEXT.relayDenied),
  tooLarge: () => new SmtpReply(552, REPLY_TEXT.tooLarge),
  bareLf: () => new SmtpReply(550, REPLY_TEXT.bareLf),
  localError: (cause?: unknown) => new SmtpReply(451, REPLY_TEXT.localError, { cause }),
  mailboxFull: () => new SmtpReply(452, REPLY_TEXT.mailboxFull),
  /** RFC 5321 §4.5.3.1.10: a recipient limit is answered 452, the client sends the rest later. */
  tooManyRecipients: () => new SmtpReply(452, REPLY_TEXT.tooManyRecipients),
  /** RFC 4954 §4: AUTH before STARTTLS on a port that requires it. */
  encryptionRequired: () => new SmtpReply(538, REPLY_TEXT.encryptionRequired),
  authFailed: () => new SmtpReply(535, REPLY_TEXT.authFailed),
  authThrottled: () => new SmtpReply(454, REPLY_TEXT.authThrottled),
  authUnavailable: (cause?: unknown) => new SmtpReply(454, REPLY_TEXT.authUnavailable, { cause }),
  senderNotOwned: () => new SmtpReply(550, REPLY_TEXT.senderNotOwned),
  fromNotOwned: () => new SmtpReply(550, REPLY_TEXT.fromNotOwned),
  badAddress: () => new SmtpReply(501, REPLY_TEXT.badAddress),
} as const;

/** Service codes an MX transaction can meet; anything else is a local error (451, retried). */
const SERVICE_REPLIES: Partial<Record<ServiceErrorCode, () => SmtpReply>> = {
  user_not_found: replies.unknownUser,
  invalid_address: replies.unknownUser,
  domain_not_hosted: replies.relayDenied,
  quota_exceeded: replies.mailboxFull,
  too_large: replies.tooLarge,
  sender_not_owned: replies.senderNotOwned,
  throttled: replies.authThrottled,
};

/**
 * The reply for an error thrown while serving a transaction. Storage errors and anything
 * unexpected become 451 4.3.0, so a sender never takes a failure for a delivery.
 */
export function replyForError(err: unknown): SmtpReply {
  if (err instanceof SmtpReply) return err;
  if (err instanceof StorageError) return replies.localError(err);
  if (isServiceError(err)) {
    const reply = SERVICE_REPLIES[err.code];
    if (reply) return reply();
  }
  return replies.localError(err);
}
