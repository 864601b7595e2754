// The service-layer error catalogue. Services throw ServiceError with a stable code; each
// front-end maps codes once (SMTP reply, IMAP NO [CODE], JMAP error type, HTTP status, CLI exit).
import { CodedError } from '../core/coded-error.js';

export const ServiceErrorCodes = {
  auth_failed: 'authentication failed',
  throttled: 'too many failed attempts; try again later',
  sender_not_owned: 'the sender address does not belong to the authenticated user',
  session_expired: 'the unlocked session has expired; log in again',
  invalid_address: 'not a valid address',
  invalid_password: 'the password does not meet the policy',
  invalid_secret: 'the gateway secret is too short',
  invalid_mnemonic: 'not a valid BIP39 mnemonic',
  domain_exists: 'the domain is already hosted',
  domain_not_hosted: 'the domain is not hosted here',
  user_exists: 'the address is already taken',
  user_not_found: 'no such user',
  token_exists: 'the user already has a token of that name',
  token_not_found: 'no such token',
  invalid_token_name: 'not a valid token name',
  mailbox_exists: 'a mailbox with that name exists',
  mailbox_not_found: 'no such mailbox',
  mailbox_protected: 'the mailbox has a role and cannot be deleted or renamed',
  mailbox_not_empty: 'the mailbox holds messages',
  mailbox_role_taken: 'another mailbox has that role',
  invalid_mailbox_name: 'not a valid mailbox name',
  message_not_found: 'no such message',
  blob_not_found: 'no such blob',
  message_exists: 'a message already holds that content',
  not_a_message: 'the content is not an Internet message',
  quota_exceeded: 'the mailbox quota would be exceeded',
  too_large: 'the message is larger than allowed',
  integrity: 'stored data failed its integrity check',
  invalid_argument: 'an argument is out of range or malformed',
  postage_not_found: 'no such postage invoice',
  postage_unavailable: 'the Lightning backend cannot take this request now',
  payment_refused: 'the payment was refused',
  lnmp_unreachable: 'the LNMP identity could not be looked up now; try again later',
} as const;

export type ServiceErrorCode = keyof typeof ServiceErrorCodes;

export class ServiceError extends CodedError<ServiceErrorCode> {
  override readonly name = 'ServiceError';

  constructor(code: ServiceErrorCode, detail?: string, options?: { cause?: unknown }) {
    super(code, detail ?? ServiceErrorCodes[code], options);
  }
}

export function isServiceError(err: unknown, code?: ServiceErrorCode): err is ServiceError {
  return err instanceof ServiceError && (code === undefined || err.code === code);
}
