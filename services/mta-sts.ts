// The MTA-STS policy (RFC 8461) the gateway publishes for every hosted domain, and the id its
// `_mta-sts` TXT record carries. Pure: the HTTP route serves the text, `domain dns` prints the id.
import { sha256, toHex, utf8 } from '../core/index.js';

/** How long senders may cache the policy: one week, a common choice for a stable MX. */
export const MTA_STS_MAX_AGE_SECONDS = 604_800;

export type MtaStsMode = 'enforce' | 'testing';

/**
 * The policy text: `enforce` makes senders refuse to deliver over unauthenticated TLS, so it
 * is for production (with a certificate that matches `mx`); elsewhere `testing` only reports.
 */
export function mtaStsPolicy(opts: { readonly mode: MtaStsMode; readonly mx: string; readonly maxAgeSeconds?: number }): string {
  const maxAge = opts.maxAgeSeconds ?? MTA_STS_MAX_AGE_SECONDS;
  return `version: STSv1\r\nmode: ${opts.mode}\r\nmx: ${opts.mx.toLowerCase()}\r\nmax_age: ${maxAge}\r\n`;
}

/**
 * The `id=` of the TXT record: derived from the policy text, so it changes exactly when the
 * policy does (senders refetch the policy when the id changes). 20 hex digits, within
 * RFC 8461's 1-32 alphanumerics.
 */
export function mtaStsPolicyId(policy: string): string {
  return toHex(sha256(utf8(policy))).slice(0, 20);
}

/** `enforce` in production, `testing` elsewhere (a dev certificate would fail enforcing senders). */
export function mtaStsModeFor(mode: 'development' | 'production'): MtaStsMode {
  return mode === 'production' ? 'enforce' : 'testing';
}
