// DKIM signing checked by mailauth's own verifier through a resolver that serves the published
// TXT record: a signed message passes, a changed body or header fails, and bad keys and names
// are refused with the exact error.
import { generateKeyPairSync } from 'node:crypto';
import { authenticate, dkimVerify, type DNSResolver } from 'mailauth';
import { beforeAll, describe, expect, it } from 'vitest';
import { dkimSignMessage, generateDkimKey, type DkimKey, type DkimSigningKey } from './dkim.js';

const SIGN_TIME = new Date(Date.UTC(2025, 2, 4, 5, 6, 7));
const RAW = Buffer.from(
  'From: Alice <alice@example.test>\r\nTo: bob@other.test\r\nSubject: DKIM test\r\n' +
    'Date: Tue, 04 Mar 2025 05:06:07 +0000\r\nMessage-ID: <dkim-test@example.test>\r\n\r\n' +
    'Hello Bob,\r\n.a line with a dot\r\nGrüße\r\n',
  'utf8',
);

let key: DkimKey;
let signing: DkimSigningKey;

/** DNS with only the DKIM key record of example.test (selector s1). */
function resolverServing(txt: string): DNSResolver {
  return (name, rrtype) =>
    name === 's1._domainkey.example.test' && rrtype === 'TXT'
      ? Promise.resolve([[txt]])
      : Promise.reject(Object.assign(new Error(`query${rrtype} ENOTFOUND ${name}`), { code: 'ENOTFOUND' }));
}

beforeAll(async () => {
  key = await generateDkimKey();
  signing = { domain: 'example.test', selector: 's1', privateKeyPem: key.privateKeyPem, algorithm: 'rsa-sha256', signTime: SIGN_TIME };
});

describe('generateDkimKey', () => {
  it('gives a 2048-bit RSA key in PKCS#8 PEM and its TXT record', () => {
    expect(key.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(key.publicKeyDnsTxt).toMatch(/^v=DKIM1; k=rsa; p=[A-Za-z0-9+/]+=*$/);
    // 2048-bit SPKI DER is 294 bytes: 392 base64 characters.
    expect(key.publicKeyDnsTxt.length).toBe('v=DKIM1; k=rsa; p='.length + 392);
  });
});

describe('dkimSignMessage', () => {
  it('prepends one DKIM-Signature header and keeps the message byte-exact', async () => {
    const signed = await dkimSignMessage(RAW, signing);
    const header = signed.subarray(0, signed.length - RAW.length).toString('latin1');
    expect(signed.subarray(header.length).equals(RAW)).toBe(true);
    expect(header).toMatch(/^DKIM-Signature: /);
    expect(header.endsWith('\r\n')).toBe(true);
    // Folded with CRLF only, and one header: every other line is a continuation.
    expect(header.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    expect(header.split('\r\n').slice(1, -1).every((line) => /^[ \t]/.test(line))).toBe(true);
    expect(header).toMatch(/\bd=example\.test;/);
    expect(header).toMatch(/\bs=s1;/);
    expect(header).toMatch(/\ba=rsa-sha256;/);
    expect(header).toMatch(/\bc=relaxed\/relaxed;/);
    expect(header).toMatch(new RegExp(`\\bt=${SIGN_TIME.getTime() / 1000};`));
    // RSA PKCS#1 v1.5 is deterministic: the same input and time give the same signature.
    expect((await dkimSignMessage(RAW, signing)).equals(signed)).toBe(true);
  });

  it('passes mailauth verification with the published key', async () => {
    const signed = await dkimSignMessage(RAW, signing);
    const verified = await dkimVerify(signed, { resolver: resolverServing(key.publicKeyDnsTxt), curTime: SIGN_TIME });
    expect(verified.results).toHaveLength(1);
    expect(verified.results[0]).toMatchObject({ signingDomain: 'example.test', selector: 's1', status: { result: 'pass', aligned: 'example.test' } });

    const auth = await authenticate(signed, {
      ip: '127.0.0.1',
      helo: 'gw.example.test',
      mta: 'mx.other.test',
      sender: 'alice@example.test',
      resolver: resolverServing(key.publicKeyDnsTxt),
      disableBimi: true,
      disableArc: true,
    });
    expect(auth.dkim.results[0]?.status.result).toBe('pass');
  });

  it('fails verification when the body or a signed header is changed', async () => {
    const signed = await dkimSignMessage(RAW, signing);
    const resolver = resolverServing(key.publicKeyDnsTxt);
    const body = Buffer.from(signed.toString('utf8').replace('Hello Bob', 'Hello Eve'), 'utf8');
    const bodyResult = (await dkimVerify(body, { resolver, curTime: SIGN_TIME })).results[0];
    expect(bodyResult?.status.result).toBe('neutral');
    expect(bodyResult?.status.comment).toBe('body hash did not verify');

    const subject = Buffer.from(signed.toString('utf8').replace('Subject: DKIM test', 'Subject: DKIM text'), 'utf8');
    const subjectResult = (await dkimVerify(subject, { resolver, curTime: SIGN_TIME })).results[0];
    expect(subjectResult?.status.result).toBe('fail');
    expect(subjectResult?.status.comment).toBe('bad signature');
  });

  it('fails verification against another key', async () => {
    const other = await generateDkimKey();
    const signed = await dkimSignMessage(RAW, signing);
    const result = (await dkimVerify(signed, { resolver: resolverServing(other.publicKeyDnsTxt), curTime: SIGN_TIME })).results[0];
    expect(result?.status.result).toBe('fail');
  });

  it('refuses names and keys that cannot sign', async () => {
    await expect(dkimSignMessage(RAW, { ...signing, domain: 'example.test\r\nX-Evil: 1' })).rejects.toThrow(
      new TypeError('DKIM domain is not a DNS name: "example.test\\r\\nX-Evil: 1"'),
    );
    await expect(dkimSignMessage(RAW, { ...signing, selector: 's1; d=evil.test' })).rejects.toThrow(
      new TypeError('DKIM selector is not a DNS name: "s1; d=evil.test"'),
    );
    await expect(dkimSignMessage(RAW, { ...signing, privateKeyPem: 'not a key' })).rejects.toThrow(new TypeError('DKIM private key is not a PEM private key'));
    const ed25519 = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await expect(dkimSignMessage(RAW, { ...signing, privateKeyPem: ed25519 })).rejects.toThrow(new TypeError('DKIM private key is ed25519, expected rsa'));
    const small = generateKeyPairSync('rsa', { modulusLength: 768 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await expect(dkimSignMessage(RAW, { ...signing, privateKeyPem: small })).rejects.toThrow(new RangeError('DKIM key has 768 bits, at least 1024 are required'));
  });
});
