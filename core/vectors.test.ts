// Checks the project's deterministic vectors in core/vectors/*.json. Each vector lists its
// inputs, including every random value in the order the implementation draws it, and the
// exact expected output. Set LNMP_UPDATE_VECTORS=1 to regenerate them after a deliberate
// format change (and bump the version in docs/protocol.md).
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { toHex, utf8 } from './bytes.js';
import { sha256 } from './hash.js';
import { deterministicRng, replayRng as replay } from './deterministic-rng.js';
import { identityFromMnemonic, identityFromPrivateKey, temporaryIdentity, type Rng } from './keys.js';
import { computeChecksum, formatAddress, makeAddress, parseAddress } from './address.js';
import { canonicalBytes, createMessage, openMessage, verifyMessage, type CreateMessageParams } from './envelope.js';
import { open, seal } from './seal.js';
import { isLnmpError } from './errors.js';
import { MessageKinds } from './constants.js';

const UPDATE = process.env.LNMP_UPDATE_VECTORS === '1';
const dir = new URL('./vectors/', import.meta.url);

function load(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(name, dir), 'utf8')) as Record<string, unknown>;
}

function check(name: string, generated: Record<string, unknown>) {
  if (UPDATE) writeFileSync(new URL(name, dir), JSON.stringify(generated, null, 2) + '\n');
  expect(generated).toEqual(load(name));
}

/** Wraps an rng and records every value drawn, so vectors can list them explicitly. */
function recording(seed: string): { rng: Rng; drawn: string[] } {
  const inner = deterministicRng(seed);
  const drawn: string[] = [];
  return { rng: (n) => { const b = inner(n); drawn.push(toHex(b)); return b; }, drawn };
}

const keyOf = (label: string) => identityFromPrivateKey(sha256(utf8(label)));
const alice = keyOf('lnmp-vector-alice');
const bob = keyOf('lnmp-vector-bob');
const carol = keyOf('lnmp-vector-carol');

function errorCode(f: () => unknown): string {
  try {
    f();
    return 'no error';
  } catch (e) {
    return isLnmpError(e) ? e.code : `unexpected ${String(e)}`;
  }
}

describe('vectors', () => {
  it('keys.json: mnemonic → identity and temporary identities', () => {
    const mnemonic = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
    const vectors = [
      { mnemonic, passphrase: '' },
      { mnemonic, passphrase: 'TREZOR' },
      { mnemonic: 'legal winner thank year wave sausage worth useful legal winner thank yellow', passphrase: '' },
    ].map(({ mnemonic: m, passphrase }) => {
      const id = identityFromMnemonic(m, passphrase);
      return {
        mnemonic: m,
        passphrase,
        path: "m/138'/0'/0'",
        privateKey: toHex(id.privateKey),
        publicKey: id.publicKey,
        temporary: [0, 1].map((index) => ({ path: `m/138'/1'/${index}'`, publicKey: temporaryIdentity(m, index, passphrase).publicKey })),
      };
    });
    check('keys.json', { description: 'BIP39 mnemonic (+passphrase) -> BIP32 -> x-only secp256k1 identity', vectors });
  });

  it('addresses.json: checksums, formatting and rejected inputs', () => {
    const valid = [
      [alice, 'alice', 'example.test'],
      [bob, 'bob.smith', 'mail.example.org'],
      [carol, 'c_3-x', undefined],
    ].map(([id, username, host]) => {
      const who = id as typeof alice;
      const a = makeAddress(who.publicKey, username as string, host as string | undefined);
      return { publicKey: who.publicKey, username, host: host ?? null, checksumInput: who.publicKey + (username as string), checksum: computeChecksum(who.publicKey, username as string), address: formatAddress(a) };
    });
    const a0 = valid[0]!.address;
    const invalid = [
      a0.replace('#', ''),
      a0.replace(/#\w{6}/, '#abc'),
      a0.replace(/#\w{6}/, '#abc0ef'),
      '.' + a0,
      a0.replace('@example.test', '@exa_mple.test'),
    ].map((input) => ({ input, error: errorCode(() => parseAddress(input)) }));
    const caseFolded = { input: a0.toUpperCase(), matches: computeChecksum(alice.publicKey, 'alice').toLowerCase() === parseAddress(a0.toUpperCase()).checksum.toLowerCase() };
    check('addresses.json', { description: 'username#checksum@host, checksum = base58(sha256(utf8(pubkeyHex + username)))[0:6]', valid, caseFolded, invalid });
  });

  it('seal.json: sealed payloads with every random value listed', () => {
    const cases = [
      { description: 'one recipient, ChaCha20-Poly1305, no AAD', recipients: [bob], plaintext: 'hello', aad: '', algorithm: 'ChaCha20-Poly1305' as const },
      { description: 'two recipients, AES-256-GCM, with AAD', recipients: [bob, carol], plaintext: 'x'.repeat(300), aad: 'bound header', algorithm: 'AES-256-GCM' as const },
    ].map((c, i) => {
      const { rng, drawn } = recording(`seal-vector-${i}`);
      const sealed = seal(utf8(c.plaintext), c.recipients.map((r) => r.publicKey), rng, { algorithm: c.algorithm, aad: utf8(c.aad) });
      for (const r of c.recipients) expect(new TextDecoder().decode(open(sealed, r.privateKey, { aad: utf8(c.aad) }))).toBe(c.plaintext);
      expect(seal(utf8(c.plaintext), c.recipients.map((r) => r.publicKey), replay(drawn), { algorithm: c.algorithm, aad: utf8(c.aad) })).toEqual(sealed);
      return {
        description: c.description,
        recipientPrivateKeys: c.recipients.map((r) => toHex(r.privateKey)),
        plaintextUtf8: c.plaintext,
        aadUtf8: c.aad,
        algorithm: c.algorithm,
        randomInOrder: { contentKey: drawn[0], nonce: drawn[1], ephemeralSecret: drawn[2] },
        sealed,
      };
    });
    const base = cases[0]!.sealed;
    const wrong = [
      { description: 'opened with a key it is not sealed to', payload: base, privateKey: toHex(alice.privateKey), error: errorCode(() => open(base, alice.privateKey)) },
      { description: 'ciphertext modified', payload: { ...base, ciphertext: 'A' + base.ciphertext.slice(1) }, privateKey: toHex(bob.privateKey), error: errorCode(() => open({ ...base, ciphertext: 'A' + base.ciphertext.slice(1) }, bob.privateKey)) },
      { description: 'unknown algorithm', payload: { ...base, algorithm: 'Salsa20' }, privateKey: toHex(bob.privateKey), error: errorCode(() => open({ ...base, algorithm: 'Salsa20' }, bob.privateKey)) },
      { description: 'nonce not 12 bytes', payload: { ...base, nonce: '00' }, privateKey: toHex(bob.privateKey), error: errorCode(() => open({ ...base, nonce: '00' }, bob.privateKey)) },
    ];
    check('seal.json', { description: 'multi-recipient sealing; random values are drawn in the order contentKey, nonce, ephemeralSecret', valid: cases, wrong });
  });

  it('envelopes.json: canonical form, id, signature and encrypted content', () => {
    const inputs: Array<{ description: string; params: Omit<CreateMessageParams, 'privateKey'> }> = [
      { description: 'text message to one recipient', params: { to: [bob.publicKey], content: { type: 'text', subject: 'Hello', body: 'Hi Bob' }, timestamp: 1_800_000_000 } },
      {
        description: 'paid, prioritised message with relays and expiry, AES-256-GCM',
        params: {
          to: [bob.publicKey],
          content: { type: 'text', body: 'Server is down!', formatting: 'markdown', readReceipts: true },
          timestamp: 1_800_000_100,
          kind: MessageKinds.TEXT,
          relays: ['wss://relay.example.test'],
          expiry: 1_800_086_500,
          priority: 'urgent',
          payment: { preimage: toHex(sha256(utf8('vector-preimage'))), amount: 5000 },
          algorithm: 'AES-256-GCM',
        },
      },
      { description: 'receipt to two recipients', params: { to: [bob.publicKey, carol.publicKey], content: { type: 'receipt', body: '' }, timestamp: 1_800_000_200, kind: MessageKinds.RECEIPT } },
    ];
    const valid = inputs.map(({ description, params }, i) => {
      const { rng, drawn } = recording(`envelope-vector-${i}`);
      const m = createMessage({ ...params, privateKey: alice.privateKey }, rng);
      expect(createMessage({ ...params, privateKey: alice.privateKey }, replay(drawn))).toEqual(m);
      expect(openMessage(m, bob.privateKey)).toEqual(params.content);
      return {
        description,
        senderPrivateKey: toHex(alice.privateKey),
        content: params.content,
        randomInOrder: { contentKey: drawn[0], nonce: drawn[1], ephemeralSecret: drawn[2], auxRand: drawn[3] },
        canonical: new TextDecoder().decode(canonicalBytes(m)),
        id: m.id,
        envelope: m,
      };
    });
    const env = valid[0]!.envelope;
    const bad: Array<[string, unknown]> = [
      ['version 2', { ...env, version: 2 }],
      ['unknown algorithm', { ...env, encrypted: { ...env.encrypted, algorithm: 'XSalsa20-Poly1305' } }],
      ['id not the hash of the canonical form', { ...env, id: 'ff'.repeat(32) }],
      ['timestamp changed after signing', { ...env, timestamp: env.timestamp + 1 }],
      ['signature by another key', { ...env, signature: valid[2]!.envelope.signature }],
      ['uppercase hex in from', { ...env, from: env.from.toUpperCase() }],
      ['unknown field', { ...env, note: 'x' }],
    ];
    const invalid = bad.map(([description, envelope]) => {
      const r = verifyMessage(envelope);
      return { description, envelope, error: r.ok ? 'no error' : r.error.code };
    });
    check('envelopes.json', { description: 'LNMP v1 envelopes: id = sha256(JCS(envelope - id - signature)), signature = BIP340(id)', recipients: { bob: toHex(bob.privateKey), carol: toHex(carol.privateKey) }, valid, invalid });
  });
});
