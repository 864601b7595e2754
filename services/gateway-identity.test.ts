import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, openTestDb, type TestDb } from '../test/helpers/databases.js';
import { loadOrCreateGatewayIdentity } from './gateway-identity.js';
import { systemRng } from './random.js';

const secret = new Uint8Array(32).fill(7);

describe.each(BACKENDS)('gateway identity on %s', (backend) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb(backend);
  });
  afterAll(() => t.dispose());

  it('is created once, then loaded; concurrent first starts agree; the key is stored only wrapped', async () => {
    const [a, b] = await Promise.all([loadOrCreateGatewayIdentity(t.db, secret, systemRng), loadOrCreateGatewayIdentity(t.db, secret, systemRng)]);
    expect(a.publicKey).toBe(b.publicKey);
    const again = await loadOrCreateGatewayIdentity(t.db, secret, systemRng);
    expect(Buffer.from(again.privateKey).equals(Buffer.from(a.privateKey))).toBe(true);
    const rows = await t.db.query<{ public_key: string; wrapped: Uint8Array }>('SELECT public_key, wrapped FROM gateway_identity');
    expect(rows).toHaveLength(1);
    expect(Buffer.from(rows[0]!.wrapped).includes(Buffer.from(a.privateKey))).toBe(false);
  });

  it('refuses a wrong or short secret without creating another identity', async () => {
    await expect(loadOrCreateGatewayIdentity(t.db, new Uint8Array(32).fill(8), systemRng)).rejects.toMatchObject({
      code: 'integrity',
      message: 'the gateway secret does not open the gateway identity stored in the database: every process of a deployment needs the same secret (LNMP_GATEWAY_SECRET, or the same gateway.secret file)',
    });
    await expect(loadOrCreateGatewayIdentity(t.db, new Uint8Array(16), systemRng)).rejects.toMatchObject({ code: 'invalid_secret' });
    expect(await t.db.query('SELECT 1 FROM gateway_identity')).toHaveLength(1);
  });
});
