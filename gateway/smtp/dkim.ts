// DKIM (RFC 6376) for outgoing mail: mailauth computes the DKIM-Signature header, which is
// prepended to the unchanged message; every signature is verified against the signing key before
// it is returned. Key generation gives the private key and the TXT record to publish.
import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { dkimSign, dkimVerify, type DNSResolver } from 'mailauth';

/** Size of generated keys (RFC 8301 §3.2: SHOULD be at least 2048 bits). */
export const DKIM_KEY_BITS = 2048;
/** Smallest key accepted for signing (RFC 8301 §3.2: MUST be at least 1024 bits). */
export const DKIM_MIN_KEY_BITS = 1024;
/**
 * Relaxed header and body canonicalization: the signature survives the re-folding and
 * whitespace changes relays make, which simple/simple would not.
 */
const CANONICALIZATION = 'relaxed/relaxed';

export interface DkimSigningKey {
  /** The d= domain; its `<selector>._domainkey` TXT record holds the public key. */
  readonly domain: string;
  readonly selector: string;
  /** An RSA private key in PEM (PKCS#8 or PKCS#1). */
  readonly privateKeyPem: string;
  readonly algorithm: 'rsa-sha256';
  /** The t= tag; default now. */
  readonly signTime?: Date;
}

export interface DkimKey {
  readonly privateKeyPem: string;
  /**
   * The TXT record value for `<selector>._domainkey.<domain>`: `v=DKIM1; k=rsa; p=<base64 SPKI>`.
   * Longer than one 255-byte DNS string: zone files and DNS providers split it into several.
   */
  readonly publicKeyDnsTxt: string;
}

/** A DNS label sequence (selectors may have dots too): nothing that could break the header. */
const DNS_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** A new RSA key for DKIM and the TXT record that publishes its public half. */
export async function generateDkimKey(): Promise<DkimKey> {
  const { privateKey } = await promisify(generateKeyPair)('rsa', {
    modulusLength: DKIM_KEY_BITS,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyDnsTxt: dkimTxtRecord(createPublicKey(privateKey)) };
}

/** `v=DKIM1; k=rsa; p=...` for a public key (RFC 6376 §3.6.1). */
export function dkimTxtRecord(publicKey: KeyObject): string {
  return `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`;
}

/**
 * `raw` with a DKIM-Signature header prepended (CRLF line endings), the rest byte-exact.
 * @throws TypeError for a domain or selector that is not a DNS name or a key that is not RSA;
 *   RangeError for a key under DKIM_MIN_KEY_BITS; Error when signing fails or the signature
 *   does not verify.
 */
export async function dkimSignMessage(raw: Buffer, key: DkimSigningKey): Promise<Buffer> {
  const privateKey = checkKey(key);
  const signTime = key.signTime ?? new Date();
  const what = `d=${key.domain} s=${key.selector}`;
  const result = await dkimSign(raw, {
    // mailauth reads the keys from signatureData; its typings also require them at the top level.
    signingDomain: key.domain,
    selector: key.selector,
    privateKey: key.privateKeyPem,
    algorithm: key.algorithm,
    canonicalization: CANONICALIZATION,
    signTime,
    signatureData: [{ signingDomain: key.domain, selector: key.selector, privateKey: key.privateKeyPem, algorithm: key.algorithm, canonicalization: CANONICALIZATION }],
  });
  // mailauth reports failures as `{ err }` entries rather than throwing.
  const failure = result.errors[0] as { err?: unknown } | undefined;
  if (failure !== undefined || !result.signatures.startsWith('DKIM-Signature:')) {
    const cause = failure?.err ?? failure;
    throw new Error(`DKIM signing (${what}) failed: ${cause instanceof Error ? cause.message : 'no signature produced'}`, { cause });
  }
  const signed = Buffer.concat([Buffer.from(result.signatures, 'latin1'), raw]);
  await checkSignature(signed, key, createPublicKey(privateKey), signTime);
  return signed;
}

function checkKey(key: DkimSigningKey): KeyObject {
  if (!DNS_NAME.test(key.domain)) throw new TypeError(`DKIM domain is not a DNS name: ${JSON.stringify(key.domain)}`);
  if (!DNS_NAME.test(key.selector)) throw new TypeError(`DKIM selector is not a DNS name: ${JSON.stringify(key.selector)}`);
  if (key.algorithm !== 'rsa-sha256') throw new TypeError(`unsupported DKIM algorithm: ${JSON.stringify(key.algorithm)}`);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key.privateKeyPem);
  } catch (cause) {
    throw new TypeError('DKIM private key is not a PEM private key', { cause });
  }
  if (privateKey.asymmetricKeyType !== 'rsa') throw new TypeError(`DKIM private key is ${privateKey.asymmetricKeyType ?? 'not asymmetric'}, expected rsa`);
  const bits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < DKIM_MIN_KEY_BITS) throw new RangeError(`DKIM key has ${bits} bits, at least ${DKIM_MIN_KEY_BITS} are required`);
  return privateKey;
}

/** Verifies the new (topmost) signature with the public key served as its DNS record. */
async function checkSignature(signed: Buffer, key: DkimSigningKey, publicKey: KeyObject, signTime: Date): Promise<void> {
  const recordName = `${key.selector}._domainkey.${key.domain}`.toLowerCase();
  const txt = dkimTxtRecord(publicKey);
  const resolver: DNSResolver = (name, rrtype) =>
    name.toLowerCase() === recordName && rrtype === 'TXT'
      ? Promise.resolve([[txt]])
      : Promise.reject(Object.assign(new Error(`query${rrtype} ENOTFOUND ${name}`), { code: 'ENOTFOUND' }));
  const verified = await dkimVerify(signed, { resolver, curTime: signTime });
  const ours = verified.results[0];
  if (ours?.status.result !== 'pass') {
    throw new Error(`DKIM signature (d=${key.domain} s=${key.selector}) does not verify: ${ours?.status.comment ?? ours?.info ?? 'no result'}`);
  }
}
