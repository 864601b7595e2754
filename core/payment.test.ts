import { describe, expect, it } from 'vitest';
import { payloadDigest, paymentHashOf, postageDescription, postageDescriptionHash, verifyPostage, verifyPreimage } from './payment.js';
import { createMessage, draftMessage, signMessage } from './envelope.js';
import { deterministicRng } from './deterministic-rng.js';
import { identityFromPrivateKey } from './keys.js';
import { sha256 } from './hash.js';
import { toHex, utf8 } from './bytes.js';

const alice = identityFromPrivateKey(sha256(utf8('pay-alice')));
const bob = identityFromPrivateKey(sha256(utf8('pay-bob')));
const carol = identityFromPrivateKey(sha256(utf8('pay-carol')));

describe('payment proofs', () => {
  const preimage = sha256(utf8('preimage'));
  const hash = paymentHashOf(preimage);

  it('verifies a preimage against a payment hash', () => {
    expect(verifyPreimage(toHex(preimage), hash)).toBe(true);
    expect(verifyPreimage(toHex(preimage), hash.toUpperCase())).toBe(true);
    expect(verifyPreimage('00'.repeat(32), hash)).toBe(false);
    expect(() => verifyPreimage('00', hash)).toThrow(expect.objectContaining({ code: 'invalid_length' }));
    expect(() => verifyPreimage('zz'.repeat(32), hash)).toThrow(expect.objectContaining({ code: 'invalid_hex' }));
  });

  it('binds a postage invoice to sender, recipient and message', () => {
    expect(postageDescription({ from: 'a@x.test', to: 'b#abcdef@y.test', ref: 'm1' })).toBe('lnmp-postage:1:{"from":"a@x.test","ref":"m1","to":"b#abcdef@y.test"}');
    expect(() => postageDescription({ from: '', to: 'b', ref: 'm' })).toThrow(expect.objectContaining({ code: 'invalid_payment' }));
    expect(() => postageDescription({ from: 'a b', to: 'b', ref: 'm' })).toThrow(expect.objectContaining({ code: 'invalid_payment' }));
  });

  it('one preimage pays for one message to one recipient only', () => {
    const rng = deterministicRng('postage');
    // The sender seals first, is invoiced for that payload, pays, then signs with the preimage.
    const draft = draftMessage({ privateKey: alice.privateKey, to: [bob.publicKey], content: { type: 'text', body: 'paid hello' }, timestamp: 1_800_000_000 }, rng);
    const invoice = { paymentHash: hash, descriptionHash: postageDescriptionHash({ from: alice.publicKey, to: bob.publicKey, ref: payloadDigest(draft.encrypted) }), amountSats: 100 };
    const paid = signMessage({ ...draft, payment: { preimage: toHex(preimage), amount: 100 } }, alice.privateKey, rng);
    expect(verifyPostage(paid, invoice)).toBe(hash);

    // The same preimage on another message (new payload) is not bound to this invoice.
    const other = createMessage({ privateKey: alice.privateKey, to: [bob.publicKey], content: { type: 'text', body: 'again' }, timestamp: 1_800_000_000, payment: { preimage: toHex(preimage), amount: 100 } }, rng);
    expect(() => verifyPostage(other, invoice)).toThrow(expect.objectContaining({ code: 'invalid_payment' }));
    // ... nor to another recipient.
    const toCarol = { ...invoice, descriptionHash: postageDescriptionHash({ from: alice.publicKey, to: carol.publicKey, ref: payloadDigest(draft.encrypted) }) };
    expect(() => verifyPostage(paid, toCarol)).toThrow(expect.objectContaining({ code: 'invalid_payment' }));
    // Underpayment and a wrong preimage are rejected.
    expect(() => verifyPostage(paid, { ...invoice, amountSats: 101 })).toThrow(expect.objectContaining({ code: 'invalid_payment' }));
    expect(() => verifyPostage(paid, { ...invoice, paymentHash: '00'.repeat(32) })).toThrow(expect.objectContaining({ code: 'invalid_payment' }));
    expect(() => verifyPostage(signMessage(draft, alice.privateKey, rng), invoice)).toThrow(expect.objectContaining({ code: 'invalid_payment' }));
  });
});
