import { describe, expect, it } from 'vitest';
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { generateMnemonic, identityFromMnemonic, identityFromPrivateKey, isValidMnemonic, newIdentity, temporaryIdentity } from './keys.js';
import { deterministicRng } from './deterministic-rng.js';
import { toHex } from './bytes.js';
import { publicKeyHexOf } from './secp256k1.js';

const ABANDON = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';

describe('identity keys', () => {
  it('derives the identity at m/138\'/0\'/0\' of the BIP39 seed', () => {
    // BIP39 reference: this mnemonic with an empty passphrase has the seed 5eb00bbd…
    expect(toHex(mnemonicToSeedSync(ABANDON, ''))).toMatch(/^5eb00bbddcf069084889a8ab9155568165f5c453ccb85e70811aaed6f6da5fc1/);
    const id = identityFromMnemonic(ABANDON);
    const node = HDKey.fromMasterSeed(mnemonicToSeedSync(ABANDON, '')).derive("m/138'/0'/0'");
    expect(toHex(id.privateKey)).toBe(toHex(node.privateKey!));
    expect(id.publicKey).toBe(publicKeyHexOf(node.privateKey!));
    expect(id.publicKey).toMatch(/^[0-9a-f]{64}$/);
  });

  it('normalises case and white space of a typed mnemonic', () => {
    const messy = `  ${ABANDON.toUpperCase().replace(/ /g, '   ')}\n`;
    expect(identityFromMnemonic(messy).publicKey).toBe(identityFromMnemonic(ABANDON).publicKey);
  });

  it('a passphrase gives a different identity', () => {
    expect(identityFromMnemonic(ABANDON, 'TREZOR').publicKey).not.toBe(identityFromMnemonic(ABANDON).publicKey);
  });

  it('temporary identities are distinct hardened children of the seed', () => {
    const main = identityFromMnemonic(ABANDON);
    const t0 = temporaryIdentity(ABANDON, 0);
    const t1 = temporaryIdentity(ABANDON, 1);
    const node = HDKey.fromMasterSeed(mnemonicToSeedSync(ABANDON, '')).derive("m/138'/1'/1'");
    expect(t1.publicKey).toBe(publicKeyHexOf(node.privateKey!));
    expect(new Set([main.publicKey, t0.publicKey, t1.publicKey]).size).toBe(3);
    // Hardened: the identity's extended public key cannot derive them.
    const xpub = HDKey.fromMasterSeed(mnemonicToSeedSync(ABANDON, '')).derive("m/138'/1'");
    expect(() => HDKey.fromExtendedKey(xpub.publicExtendedKey).deriveChild(0x80000001)).toThrow();
  });

  it('generates a 24-word mnemonic from the given randomness', () => {
    const m = generateMnemonic(deterministicRng('keys-test'));
    expect(m.split(' ')).toHaveLength(24);
    expect(isValidMnemonic(m)).toBe(true);
    expect(generateMnemonic(deterministicRng('keys-test'))).toBe(m);
    const id = newIdentity(deterministicRng('keys-test'));
    expect(id.mnemonic).toBe(m);
    expect(id.publicKey).toBe(identityFromMnemonic(m).publicKey);
  });

  it('rejects bad mnemonics, indices and keys with their codes', () => {
    expect(() => identityFromMnemonic('abandon abandon abandon')).toThrow(expect.objectContaining({ code: 'invalid_mnemonic' }));
    expect(() => identityFromMnemonic(ABANDON.replace('about', 'abandon'))).toThrow(expect.objectContaining({ code: 'invalid_mnemonic' }));
    expect(() => identityFromMnemonic(42 as unknown as string)).toThrow(expect.objectContaining({ code: 'invalid_type' }));
    expect(() => temporaryIdentity(ABANDON, -1)).toThrow(expect.objectContaining({ code: 'invalid_derivation' }));
    expect(() => temporaryIdentity(ABANDON, 2 ** 31)).toThrow(expect.objectContaining({ code: 'invalid_derivation' }));
    expect(() => identityFromPrivateKey(new Uint8Array(32).fill(0xff))).toThrow(expect.objectContaining({ code: 'invalid_private_key' }));
    expect(() => generateMnemonic(deterministicRng('x'), 15)).toThrow(expect.objectContaining({ code: 'invalid_length' }));
  });
});
