// `npm run bench -- core`: throughput of the core primitives on the fast paths the project
// uses, each beside noble's pure-JS figure measured in the same run.
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import {
  aeadEncrypt, createMessage, deterministicRng, ecdhX, fromHex, identityFromPrivateKey, open, schnorrSign, schnorrVerify, seal, sha256, toHex, utf8, verifyMessage, replayRng,
} from '../core/index.js';
import { fmt, measure } from './measure.js';
import { nobleOpen, nobleSeal } from './noble-reference.js';
import { cpus } from 'node:os';
import * as ecc from 'tiny-secp256k1';

export async function runCoreBench(): Promise<void> {
  const rng = deterministicRng('bench-core');
  const alice = identityFromPrivateKey(sha256(utf8('bench-alice')));
  const bob = identityFromPrivateKey(sha256(utf8('bench-bob')));
  const msg = rng(32);
  const aux = rng(32);
  const sig = schnorrSign(msg, alice.privateKey, aux);
  const alicePub = fromHex(alice.publicKey, 32);
  const bobPub = fromHex(bob.publicKey, 32);
  const body4k = rng(4096);
  const recipients = [bob.publicKey, alice.publicKey];
  const aad = utf8('bench-aad');

  // Correctness before speed: the noble construction must give the same bytes as ours.
  const fixed = [toHex(rng(32)), toHex(rng(12)), toHex(rng(32))];
  const ours = seal(body4k, recipients, replayRng(fixed), { aad });
  const theirs = nobleSeal(body4k, recipients, replayRng(fixed), aad);
  if (JSON.stringify(ours) !== JSON.stringify(theirs)) throw new Error('noble reference and core seal disagree');
  if (toHex(nobleOpen(ours, bob.privateKey, aad)) !== toHex(open(theirs, bob.privateKey, { aad }))) throw new Error('open disagrees');

  const bobCompressed = secp256k1.getPublicKey(bob.privateKey, true);
  const mib = rng(1024 * 1024);
  const key = rng(32);
  const nonce = rng(12);
  const sealed = seal(body4k, recipients, rng, { aad });
  const message = createMessage({ privateKey: alice.privateKey, to: [bob.publicKey], content: { type: 'text', body: 'x'.repeat(4096) }, timestamp: 1_800_000_000 }, rng);
  const messageJson = JSON.parse(JSON.stringify(message)) as unknown;

  const rows: Array<{ name: string; unit: string; ours: number; noble: number | null; target?: number }> = [];
  const add = (name: string, unit: string, oursRate: number, nobleRate: number | null, target?: number) => {
    rows.push({ name, unit, ours: oursRate, noble: nobleRate, ...(target !== undefined ? { target } : {}) });
  };

  // The raw BIP340 primitive, and what core's schnorrSign does: sign, then verify its own
  // output before returning it (BIP340's recommendation against fault attacks).
  // noble's schnorr.sign verifies its output too, so it is the baseline of the second row.
  add('schnorr sign (libsecp256k1 WASM, raw)', 'ops/s', measure(() => ecc.signSchnorr(msg, alice.privateKey, aux)).perSecond, null, 2500);
  add('schnorr sign + self-verify (core schnorrSign)', 'ops/s', measure(() => schnorrSign(msg, alice.privateKey, aux)).perSecond, measure(() => schnorr.sign(msg, alice.privateKey, aux), 1000, 5).perSecond);
  add('schnorr verify', 'ops/s', measure(() => schnorrVerify(sig, msg, alicePub)).perSecond, measure(() => schnorr.verify(sig, msg, alicePub), 1000, 5).perSecond, 2500);
  add('ecdh (x-only)', 'ops/s', measure(() => ecdhX(alice.privateKey, bobPub)).perSecond, measure(() => secp256k1.getSharedSecret(alice.privateKey, bobCompressed), 1000, 5).perSecond);
  add('seal 4 KiB (1 recipient + sender)', 'ops/s', measure(() => seal(body4k, recipients, rng, { aad })).perSecond, measure(() => nobleSeal(body4k, recipients, rng, aad), 1000, 5).perSecond, 700);
  add('open 4 KiB', 'ops/s', measure(() => open(sealed, bob.privateKey, { aad })).perSecond, measure(() => nobleOpen(sealed, bob.privateKey, aad), 1000, 5).perSecond, 2000);
  add('createMessage 4 KiB (seal + sign)', 'ops/s', measure(() => createMessage({ privateKey: alice.privateKey, to: [bob.publicKey], content: { type: 'text', body: 'x'.repeat(4096) }, timestamp: 1_800_000_000 }, rng)).perSecond, null);
  add('verifyMessage 4 KiB (schema + id + signature)', 'ops/s', measure(() => verifyMessage(messageJson)).perSecond, null);
  const aeadOurs = measure(() => aeadEncrypt('ChaCha20-Poly1305', key, nonce, mib), 1000, 2);
  const aeadNoble = measure(() => chacha20poly1305(key, nonce).encrypt(mib), 1000, 1);
  add('ChaCha20-Poly1305 1 MiB', 'MB/s', aeadOurs.perSecond * 1.048576, aeadNoble.perSecond * 1.048576);

  console.log(`core benchmark on ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, one core`);
  console.log(`${'operation'.padEnd(48)} ${'ours'.padStart(10)} ${'noble'.padStart(10)} ${'target'.padStart(8)}  unit`);
  for (const r of rows) {
    const target = r.target === undefined ? '' : `≥${fmt(r.target)}`;
    console.log(`${r.name.padEnd(48)} ${fmt(r.ours).padStart(10)} ${(r.noble === null ? '-' : fmt(r.noble)).padStart(10)} ${target.padStart(8)}  ${r.unit}`);
  }
  const targetsMet = rows.every((r) => r.target === undefined || r.ours >= r.target);
  console.log(
    JSON.stringify({
      bench: 'core',
      node: process.version,
      targetsMet,
      results: Object.fromEntries(rows.map((r) => [r.name, { unit: r.unit, ours: Math.round(r.ours), noble: r.noble === null ? null : Math.round(r.noble), target: r.target ?? null }])),
    }),
  );
}
