// LNMP-native postage over a real database and the dev Lightning backend: an invoice bound to
// (sender, recipient, message) is accepted once it is paid, for that message only, once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DevLightningBackend } from '../lightning/dev-backend.js';
import { generateNodeKey } from '../lightning/node-key.js';
import { openTestDb, type TestDb } from '../test/helpers/databases.js';
import { AccountService } from './account-service.js';
import { LnmpPostage } from './lnmp-postage.js';
import { systemRng } from './random.js';

let t: TestDb;
let backend: DevLightningBackend;
let postage: LnmpPostage;
let userId: number;
const SENDER = 'a'.repeat(64);
const RECIPIENT = 'b'.repeat(64);
const binding = (ref: string) => ({ from: SENDER, to: RECIPIENT, ref });

beforeAll(async () => {
  t = await openTestDb('pglite');
  backend = new DevLightningBackend({ db: t.db, nodeKey: generateNodeKey(systemRng), random: systemRng });
  postage = new LnmpPostage({ db: t.db, backend, gatewaySecret: systemRng(32), rng: systemRng, expirySeconds: 3600 });
  const accounts = new AccountService(t.db, { rng: systemRng, kdf: { N: 1024, r: 8, p: 1 } });
  await accounts.addDomain('example.test');
  userId = (await accounts.createUser({ address: 'alice@example.test', password: 'password123' })).userId;
});

afterAll(async () => {
  await t.dispose();
});

describe('LnmpPostage', () => {
  it('accepts a paid invoice for the message it was bound to, once; the recipient settles it', async () => {
    const invoice = await postage.invoice(userId, binding('c'.repeat(64)), 100);
    expect(await postage.accept(binding('c'.repeat(64)), invoice.paymentHash)).toEqual({ ok: false, reason: 'unpaid' });
    await backend.sendPayment(invoice.bolt11, { maxFeeSats: 0 });
    expect(await postage.accept(binding('d'.repeat(64)), invoice.paymentHash)).toEqual({ ok: false, reason: 'wrong-binding' });
    expect(await postage.accept({ ...binding('c'.repeat(64)), from: 'e'.repeat(64) }, invoice.paymentHash)).toEqual({ ok: false, reason: 'wrong-binding' });
    expect(await postage.accept(binding('c'.repeat(64)), invoice.paymentHash)).toEqual({ ok: true, paymentHash: invoice.paymentHash, amountSats: 100 });
    expect(await postage.accept(binding('c'.repeat(64)), invoice.paymentHash)).toEqual({ ok: false, reason: 'replayed' });
    await postage.settle(invoice.paymentHash);
    expect((await backend.lookup(invoice.paymentHash)).state).toBe('settled');
  });

  it('refuses an unknown payment and a malformed hash, and never stores the preimage in clear', async () => {
    expect(await postage.accept(binding('c'.repeat(64)), 'f'.repeat(64))).toEqual({ ok: false, reason: 'unknown-payment' });
    await expect(postage.accept(binding('c'.repeat(64)), 'XYZ')).rejects.toThrow('paymentHash must be 64 lowercase hex characters');
    const invoice = await postage.invoice(userId, binding('1'.repeat(64)), 5);
    await backend.sendPayment(invoice.bolt11, { maxFeeSats: 0 });
    await postage.settle(invoice.paymentHash);
    const preimage = (await backend.lookup(invoice.paymentHash)).preimage!;
    const [row] = await t.db.query<{ preimage: Uint8Array }>('SELECT preimage FROM lnmp_postage WHERE payment_hash = $1', [invoice.paymentHash]);
    expect(Buffer.from(row!.preimage).toString('hex')).not.toContain(preimage);
  });
});
