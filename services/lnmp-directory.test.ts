// Discovery from an address to a key and relays: the DNS record, the gateway's and the user's
// signed documents, and every way they can be wrong, each with its exact error.
import { describe, expect, it } from 'vitest';
import { createIdentityDocument, DEFAULT_PRICING, formatAddress, makeAddress, type Identity } from '../core/index.js';
import { identity } from '../test/helpers/relay-client.js';
import { LnmpDirectory, parseLnmpTxt } from './lnmp-directory.js';
import { systemRng } from './random.js';

const gw = identity('dir-gateway');
const bob = identity('dir-bob');
const BASE = 'https://mail.b.test/.well-known/lnmp';
const bobAddress = formatAddress(makeAddress(bob.publicKey, 'bob', 'b.test'));

function doc(id: Identity, address: string, relays: string[] = []) {
  return createIdentityDocument(id.privateKey, { addresses: [address], features: [], relays: relays.map((url) => ({ url })), pricing: DEFAULT_PRICING, proofs: [], updatedAt: 1_800_000_000 }, systemRng);
}

function directory(opts: { txt?: string | Error; files?: Record<string, unknown>; fetchError?: Error } = {}) {
  const fetched: string[] = [];
  const files: Record<string, unknown> = opts.files ?? {
    [BASE]: doc(gw, formatAddress(makeAddress(gw.publicKey, 'gateway', 'mail.b.test')), ['wss://relay.b.test']),
    [`${BASE}/users/b.test/bob`]: doc(bob, bobAddress),
  };
  const dir = new LnmpDirectory({
    resolveTxt: async () => {
      if (opts.txt instanceof Error) throw opts.txt;
      return [['v=spf1 -all'], [opts.txt ?? `v=LNMP1; k=${gw.publicKey}; u=${BASE}`]];
    },
    fetchJson: async (url) => {
      fetched.push(url);
      if (opts.fetchError) throw opts.fetchError;
      return files[url];
    },
  });
  return { dir, fetched };
}

describe('LnmpDirectory', () => {
  it('resolves an LNMP address and a plain address to the key and the gateway relays, and caches', async () => {
    const { dir, fetched } = directory();
    const r = await dir.resolve(bobAddress.toUpperCase());
    expect(r).toMatchObject({ address: bobAddress.toLowerCase(), publicKey: bob.publicKey, relays: ['wss://relay.b.test'] });
    expect((await dir.resolve('Bob@B.test')).publicKey).toBe(bob.publicKey);
    await dir.resolve(bobAddress);
    expect(fetched).toEqual([BASE, `${BASE}/users/b.test/bob`, BASE, `${BASE}/users/b.test/bob`]);
  });

  it('parses the _lnmp record', () => {
    expect(parseLnmpTxt(`v=LNMP1; k=${'A'.repeat(64)}; u=https://x.test/l`)).toEqual({ key: 'a'.repeat(64), url: 'https://x.test/l' });
    expect(parseLnmpTxt('v=LNMP2; k=00; u=https://x.test')).toBeUndefined();
    expect(parseLnmpTxt('v=spf1 -all')).toBeUndefined();
  });

  it('refuses each broken link of the chain with its reason', async () => {
    const notFound = Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' });
    const timeout = Object.assign(new Error('ETIMEOUT'), { code: 'ETIMEOUT' });
    const other = identity('dir-other');
    const cases: Array<[Parameters<typeof directory>[0], string, string]> = [
      [{ txt: notFound }, 'user_not_found', 'b.test publishes no _lnmp record'],
      [{ txt: timeout }, 'lnmp_unreachable', 'DNS lookup of _lnmp.b.test failed (ETIMEOUT)'],
      [{ txt: `v=LNMP1; k=${gw.publicKey}; u=http://mail.b.test/l` }, 'user_not_found', 'the _lnmp record of b.test names http://mail.b.test/l, not an https URL'],
      [{ txt: `v=LNMP1; k=${other.publicKey}; u=${BASE}` }, 'user_not_found', 'the LNMP document of b.test is not signed by the key its DNS record names'],
      [{ fetchError: new Error('HTTP 500') }, 'lnmp_unreachable', `the LNMP document of b.test could not be fetched: HTTP 500`],
      [{ files: {} }, 'user_not_found', `b.test publishes no LNMP document at ${BASE}`],
      [{ files: { [BASE]: { type: 'lnmp-identity' } } }, 'user_not_found', 'the LNMP document of b.test does not verify: '],
      [{ files: { [BASE]: doc(gw, formatAddress(makeAddress(gw.publicKey, 'gateway', 'b.test')), ['wss://r.test']) } }, 'user_not_found', `no LNMP identity ${bobAddress.toLowerCase()}`],
      [
        { files: { [BASE]: doc(gw, formatAddress(makeAddress(gw.publicKey, 'gateway', 'b.test')), ['wss://r.test']), [`${BASE}/users/b.test/bob`]: doc(other, formatAddress(makeAddress(other.publicKey, 'bob', 'b.test'))) } },
        'user_not_found',
        `no LNMP identity ${bobAddress.toLowerCase()} (the document of b.test does not list it)`,
      ],
    ];
    for (const [opts, code, message] of cases) {
      const err = (await directory(opts).dir.resolve(bobAddress).catch((e: unknown) => e)) as { code: string; message: string };
      expect(err, message).toMatchObject({ code });
      expect(err.message.startsWith(message), `${err.message} / ${message}`).toBe(true);
    }
    await expect(directory().dir.resolve('nobody')).rejects.toMatchObject({ code: 'invalid_address' });
  });

  it('allows plain HTTP only from a loopback address', async () => {
    const local = 'http://127.0.0.1:8080/.well-known/lnmp';
    const files = { [local]: doc(gw, formatAddress(makeAddress(gw.publicKey, 'gateway', 'b.test')), ['ws://127.0.0.1:7138']), [`${local}/users/b.test/bob`]: doc(bob, bobAddress) };
    const { dir } = directory({ txt: `v=LNMP1; k=${gw.publicKey}; u=${local}`, files });
    expect((await dir.resolve(bobAddress)).relays).toEqual(['ws://127.0.0.1:7138']);
  });
});
