// LNMP identities: BIP39 mnemonic -> BIP32 seed -> secp256k1 key at m/138'/0'/0'.
// Randomness comes in as a parameter so that key generation is testable with vectors.
import { HDKey } from '@scure/bip32';
import { entropyToMnemonic, mnemonicToSeedSync, validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { LnmpError } from './errors.js';
import { ensureBytes, toHex } from './bytes.js';
import { IDENTITY_PATH, TEMPORARY_PATH_PREFIX } from './constants.js';
import { assertPrivateKey, publicKeyOf } from './secp256k1.js';

/** Source of cryptographic randomness: returns `n` fresh random bytes. */
export type Rng = (n: number) => Uint8Array;

export interface Identity {
  /** 32-byte private scalar. Never log or persist in clear. */
  readonly privateKey: Uint8Array;
  /** x-only BIP340 public key, lowercase hex (64 chars). */
  readonly publicKey: string;
}

/** 256 bits of entropy: a 24-word mnemonic. */
export const MNEMONIC_ENTROPY_BYTES = 32;

export function normalizeMnemonic(mnemonic: string): string {
  return mnemonic.normalize('NFKD').trim().toLowerCase().split(/\s+/).join(' ');
}

export function generateMnemonic(rng: Rng, entropyBytes = MNEMONIC_ENTROPY_BYTES): string {
  if (![16, 20, 24, 28, 32].includes(entropyBytes)) throw new LnmpError('invalid_length', 'mnemonic entropy must be 16-32 bytes in steps of 4');
  return entropyToMnemonic(ensureBytes(rng(entropyBytes), entropyBytes, 'entropy'), wordlist);
}

export function isValidMnemonic(mnemonic: string): boolean {
  return typeof mnemonic === 'string' && validateMnemonic(normalizeMnemonic(mnemonic), wordlist);
}

function rootFromMnemonic(mnemonic: unknown, passphrase: string): HDKey {
  if (typeof mnemonic !== 'string') throw new LnmpError('invalid_type', 'mnemonic must be a string');
  const normalized = normalizeMnemonic(mnemonic);
  if (!validateMnemonic(normalized, wordlist)) throw new LnmpError('invalid_mnemonic', 'unknown word, wrong word count or bad checksum');
  return HDKey.fromMasterSeed(mnemonicToSeedSync(normalized, passphrase));
}

function identityAt(root: HDKey, path: string): Identity {
  const node = root.derive(path);
  if (!node.privateKey) throw new LnmpError('invalid_derivation', `no private key at ${path}`);
  const privateKey = new Uint8Array(node.privateKey);
  return { privateKey, publicKey: toHex(publicKeyOf(privateKey)) };
}

/** The primary identity of a mnemonic (+ optional BIP39 passphrase). */
export function identityFromMnemonic(mnemonic: string, passphrase = ''): Identity {
  return identityAt(rootFromMnemonic(mnemonic, passphrase), IDENTITY_PATH);
}

/** Temporary identity `index` (0 <= index < 2^31) derived at m/138'/1'/index'. */
export function temporaryIdentity(mnemonic: string, index: number, passphrase = ''): Identity {
  if (!Number.isInteger(index) || index < 0 || index >= 0x80000000) {
    throw new LnmpError('invalid_derivation', 'temporary identity index must be an integer in [0, 2^31)');
  }
  return identityAt(rootFromMnemonic(mnemonic, passphrase), `${TEMPORARY_PATH_PREFIX}/${index}'`);
}

export function newIdentity(rng: Rng, passphrase = ''): Identity & { mnemonic: string } {
  const mnemonic = generateMnemonic(rng);
  return { mnemonic, ...identityFromMnemonic(mnemonic, passphrase) };
}

/** An identity from a raw private key (for keys that did not come from a mnemonic). */
export function identityFromPrivateKey(privateKey: Uint8Array): Identity {
  const sk = new Uint8Array(assertPrivateKey(privateKey));
  return { privateKey: sk, publicKey: toHex(publicKeyOf(sk)) };
}
