// DKIM keys on both backends: created once per (domain, selector) and reused, agreed on by
// concurrent processes, stored only wrapped and bound to their domain and selector.
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, type Db } from '../storage/db.js';
import { BACKENDS, openTestDb, type TestDb } from '../test/helpers/databases.js';
import { TEST_POSTGRES_URL } from '../test/helpers/services.js';
import { DkimKeys, type DkimKeyGenerator } from './dkim-keys.js';
import { systemRng } from './random.js';

const SECRET = systemRng(32);

/** Real PEM keys (Ed25519: fast; the service never parses them), counting the calls. */
function counting(delayMs = 0): DkimKeyGenerator & { calls: number } {
  const generate = Object.assign(
    async () => {
      generate.calls += 1;
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      const { privateKey, publicKey } = generateKeyPairSync('ed25519', {
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
        publicKeyEncoding: { type: 'spki', format: 'der' },
      });
      return { privateKeyPem: privateKey, publicKeyDnsTxt: `v=DKIM1; k=ed25519; p=${publicKey.toString('base64')}` };
    },
    { calls: 0 },
  );
  return generate;
}

describe.each(BACKENDS)('DkimKeys (%s)', (backend) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb(backend);
  });
  afterAll(() => t.dispose());

  const keys = (generate: DkimKeyGenerator, secret = SECRET) => new DkimKeys(t.db, { gatewaySecret: secret, rng: systemRng, generate });

  it('creates the key on first use and reuses it, in this process and another', async () => {
    const generate = counting();
    const first = await keys(generate).signingKey('example.test', 'lnmp1');
    expect(first).toMatchObject({ domain: 'example.test', selector: 'lnmp1', publicTxt: expect.stringMatching(/^v=DKIM1; k=ed25519; p=/) });
    expect(first.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(generate.calls).toBe(1);

    const again = keys(generate);
    expect(await again.signingKey('example.test', 'lnmp1')).toEqual(first);
    expect(await again.signingKey('Example.TEST.', 'LNMP1')).toEqual(first);
    expect(generate.calls).toBe(1);
  });

  it('makes one key for concurrent first uses in one process', async () => {
    const generate = counting(20);
    const service = keys(generate);
    const [a, b] = await Promise.all([service.signingKey('concurrent.test', 's1'), service.signingKey('concurrent.test', 's1')]);
    expect(a).toEqual(b);
    expect(generate.calls).toBe(1);
  });

  it('keeps a new selector beside the old one (rotation) and lists the public records', async () => {
    const generate = counting();
    const service = keys(generate);
    const old = await service.signingKey('rotate.test', 'a2024');
    const current = await service.signingKey('rotate.test', 'b2025');
    expect(current.privateKeyPem).not.toBe(old.privateKeyPem);
    const records = (await service.publicRecords()).filter((r) => r.domain === 'rotate.test');
    expect(records).toEqual([
      { domain: 'rotate.test', selector: 'a2024', publicTxt: old.publicTxt, createdAt: expect.any(Date) },
      { domain: 'rotate.test', selector: 'b2025', publicTxt: current.publicTxt, createdAt: expect.any(Date) },
    ]);
    expect(Math.abs(records[0]!.createdAt.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it('stores the private key only wrapped', async () => {
    const key = await keys(counting()).signingKey('clear.test', 'lnmp1');
    const body = key.privateKeyPem.split('\n')[1]!;
    const rows = await t.db.query<{ row: string; wrapped: string }>("SELECT k::text AS row, encode(wrapped, 'escape') AS wrapped FROM dkim_keys k");
    const dump = rows.map((r) => r.row + r.wrapped).join('\n');
    expect(dump).toContain('clear.test');
    expect(dump).not.toContain('PRIVATE KEY');
    expect(dump).not.toContain(body);
    expect(dump).not.toContain(Buffer.from(key.privateKeyPem).toString('hex'));
  });

  it('refuses a key under another gateway secret (integrity) instead of making a second one', async () => {
    await keys(counting()).signingKey('secret.test', 'lnmp1');
    const generate = counting();
    await expect(keys(generate, systemRng(32)).signingKey('secret.test', 'lnmp1')).rejects.toMatchObject({ name: 'ServiceError', code: 'integrity' });
    expect(generate.calls).toBe(0);
  });

  it('binds the wrapped key to its domain and selector', async () => {
    const service = keys(counting());
    await service.signingKey('moved-from.test', 'lnmp1');
    await service.signingKey('moved-to.test', 'lnmp1');
    await t.db.query("UPDATE dkim_keys SET wrapped = (SELECT wrapped FROM dkim_keys WHERE domain = 'moved-from.test') WHERE domain = 'moved-to.test'");
    await expect(keys(counting()).signingKey('moved-to.test', 'lnmp1')).rejects.toMatchObject({ code: 'integrity' });
  });

  it('does not remember a failure: the next use tries again', async () => {
    const working = counting();
    let fail = true;
    const service = keys(async () => {
      if (fail) throw new Error('no entropy today');
      return working();
    });
    await expect(service.signingKey('retry.test', 'lnmp1')).rejects.toThrow('no entropy today');
    fail = false;
    await expect(service.signingKey('retry.test', 'lnmp1')).resolves.toMatchObject({ domain: 'retry.test' });
  });

  it('refuses a domain or selector that is not a DNS name', async () => {
    const service = keys(counting());
    await expect(service.signingKey('bad domain.test', 'lnmp1')).rejects.toThrow(new TypeError('DKIM domain is not a DNS name: "bad domain.test"'));
    await expect(service.signingKey('example.test', 'a:b')).rejects.toThrow(new TypeError('DKIM selector is not a DNS name: "a:b"'));
    await expect(service.signingKey('', 'lnmp1')).rejects.toThrow(TypeError);
  });

  it.runIf(backend === 'postgres')('makes one key when two processes start using it at the same time', async () => {
    const other: Db = await openPostgres(TEST_POSTGRES_URL, { schema: t.schema! });
    try {
      const generateA = counting(30);
      const generateB = counting(30);
      const a = new DkimKeys(t.db, { gatewaySecret: SECRET, rng: systemRng, generate: generateA });
      const b = new DkimKeys(other, { gatewaySecret: SECRET, rng: systemRng, generate: generateB });
      const [ka, kb] = await Promise.all([a.signingKey('race.test', 'lnmp1'), b.signingKey('race.test', 'lnmp1')]);
      // Both generated (neither found a row), one insert won, and both use the winner.
      expect(generateA.calls + generateB.calls).toBe(2);
      expect(ka).toEqual(kb);
      const rows = await t.db.query<{ public_txt: string }>("SELECT public_txt FROM dkim_keys WHERE domain = 'race.test'");
      expect(rows).toEqual([{ public_txt: ka.publicTxt }]);
    } finally {
      await other.close();
    }
  });
});
