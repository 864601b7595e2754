// The one error catalogue of the LNMP core. Every failure of a core function is an
// LnmpError with a stable `code`; front-ends map codes to protocol replies in one place.
import { CodedError } from './coded-error.js';

export const CoreErrorCodes = {
  invalid_type: 'a value has the wrong type',
  invalid_hex: 'not lowercase or uppercase hexadecimal of the expected length',
  invalid_base64: 'not canonical base64',
  invalid_length: 'a byte string has the wrong length',
  invalid_private_key: 'not a valid secp256k1 private key',
  invalid_public_key: 'not an x-only public key on secp256k1',
  invalid_mnemonic: 'not a valid BIP39 mnemonic',
  invalid_derivation: 'not a valid derivation index',
  invalid_username: 'not a valid LNMP username',
  invalid_host: 'not a valid host name',
  invalid_address: 'not an LNMP address of the form username#checksum@host',
  checksum_mismatch: 'the address checksum does not match the public key',
  invalid_envelope: 'the envelope does not match the LNMP v1 schema',
  invalid_content: 'the message content does not match the LNMP v1 schema',
  oversize: 'a value exceeds its size limit',
  unsupported_version: 'unsupported protocol version',
  unknown_algorithm: 'unknown or unsupported algorithm',
  id_mismatch: 'the envelope id is not the hash of its canonical form',
  bad_signature: 'the signature does not verify',
  not_addressed: 'the payload is not addressed to this key',
  tampered: 'the ciphertext or its bound data was modified',
  malformed: 'the sealed payload is structurally invalid',
  invalid_payment: 'the payment proof is invalid',
  invalid_identity: 'the identity document is invalid',
  invalid_proof: 'the identity proof is invalid',
} as const;

export type CoreErrorCode = keyof typeof CoreErrorCodes;

export class LnmpError extends CodedError<CoreErrorCode> {
  override readonly name = 'LnmpError';

  constructor(code: CoreErrorCode, detail?: string, options?: { cause?: unknown }) {
    super(code, detail ? `${code}: ${detail}` : `${code}: ${CoreErrorCodes[code]}`, options);
  }
}

export function isLnmpError(err: unknown, code?: CoreErrorCode): err is LnmpError {
  return err instanceof LnmpError && (code === undefined || err.code === code);
}
