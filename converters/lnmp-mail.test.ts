// MIME for LNMP mail: the sender's From rewrite, and the receiver's verdict and view.
import { describe, expect, it } from 'vitest';
import { formatAddress, makeAddress, publicKeyHexOf } from '../core/index.js';
import { buildPostageRequestNotice, lnmpResult, receivedLnmpMime, singleFromAddress, withFromAddress } from './lnmp-mail.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const key = publicKeyHexOf(new Uint8Array(32).fill(7));
const other = publicKeyHexOf(new Uint8Array(32).fill(9));
const address = formatAddress(makeAddress(key, 'alice', 'a.test'));

describe('withFromAddress', () => {
  it('replaces the address, keeps the display name and every other byte', () => {
    const raw = 'Subject: hi\r\nFrom: "Alice A." <alice@a.test>\r\nTo: b@b.test\r\n\r\nbody\r\n';
    expect(dec(withFromAddress(enc(raw), address))).toBe(`Subject: hi\r\nFrom: "Alice A." <${address}>\r\nTo: b@b.test\r\n\r\nbody\r\n`);
    expect(dec(withFromAddress(enc('From: alice@a.test\nTo: b\n\nx\n'), address))).toBe(`From: <${address}>\nTo: b\n\nx\n`);
    expect(dec(withFromAddress(enc('To: b\r\n\r\nx\r\n'), address))).toBe(`From: <${address}>\r\nTo: b\r\n\r\nx\r\n`);
  });
});

describe('lnmpResult', () => {
  it('passes a From whose checksum matches the signing key, fails anything else', () => {
    expect(lnmpResult(enc(`From: A <${address}>\r\n\r\n`), key)).toEqual({ result: 'pass', from: address.toLowerCase() });
    expect(lnmpResult(enc(`From: A <${address}>\r\n\r\n`), other).result).toBe('fail');
    expect(lnmpResult(enc('From: a@a.test\r\n\r\n'), key)).toEqual({ result: 'fail', from: 'a@a.test' });
    expect(lnmpResult(enc(`From: <${address}>, <b@b.test>\r\n\r\n`), key)).toEqual({ result: 'fail', from: undefined });
    expect(lnmpResult(undefined, key)).toEqual({ result: 'none', from: undefined });
    expect(singleFromAddress('Name <X@Y.test>')).toBe('x@y.test');
    expect(singleFromAddress('a@b, c@d')).toBeUndefined();
  });
});

describe('receivedLnmpMime', () => {
  const envelope = { id: 'ab'.repeat(32), from: key, timestamp: 1_800_000_000 };
  it('prepends the verdict to the MIME the envelope carries', () => {
    const mime = `From: A <${address}>\r\nSubject: s\r\n\r\nbody\r\n`;
    const out = dec(receivedLnmpMime({ type: 'text', body: 'body', mime: Buffer.from(mime).toString('base64') }, envelope, { authservId: 'mx.b.test', recipient: 'bob@b.test' }));
    expect(out.replace(/\r\n(?=[ \t])/g, '')).toBe(`Authentication-Results: mx.b.test; lnmp=pass header.from=${address.toLowerCase()} (signer=${key})\r\n${mime}`);
  });
  it('makes a text message from the signing key for native content', () => {
    const out = dec(receivedLnmpMime({ type: 'text', subject: 'Hi', body: 'native' }, envelope, { authservId: 'mx.b.test', recipient: 'bob@b.test' })).replace(/\r\n(?=[ \t])/g, '');
    expect(out.startsWith(`Authentication-Results: mx.b.test; lnmp=pass (signer=${key})\r\n`)).toBe(true);
    expect(out).toContain(`From: <${key}@lnmp.invalid>\r\n`);
    expect(out).toContain(`Message-ID: <${envelope.id}@lnmp>\r\n`);
    expect(out).toContain('Subject: Hi\r\n');
    expect(out.endsWith('\r\n\r\nnative\r\n')).toBe(true);
  });
});

describe('buildPostageRequestNotice', () => {
  it('is a plain ASCII message naming the amount, the invoice and the pay page', () => {
    const out = dec(buildPostageRequestNotice({ from: 'postmaster@a.test', to: 'alice@a.test', recipientKey: other, envelopeId: 'cd'.repeat(32), amountSats: 100, bolt11: 'lnbcrt1u1pexample', url: 'https://b.test/pay/x', expiresAt: 1_800_000_000, date: new Date(1_800_000_000_000), messageId: 'n1@a.test' }));
    expect(out).toMatch(/^From: "LNMP postage" <postmaster@a\.test>\r\nTo: <alice@a\.test>\r\nSubject: Postage requested: 100 sats\r\n/);
    expect(out).toContain('\r\nlightning:lnbcrt1u1pexample\r\n');
    expect(out).toContain('Pay page: https://b.test/pay/x\r\n');
    expect([...out].every((c) => c.charCodeAt(0) < 0x80)).toBe(true);
  });
});
