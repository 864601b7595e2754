// The dev backend on both databases: real regtest invoices that pass the payer's checks,
// the hold lifecycle, refusals with the exact error, expiry and HTLC deadlines from the
// injected clock, notifications, and state that outlives the backend object.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deterministicRng } from '../core/deterministic-rng.js';
import { BACKENDS, openTestDb, type TestDb } from '../test/helpers/databases.js';
import type { InvoiceStatus } from './backend.js';
import { decodeBolt11 } from './bolt11.js';
import { DevLightningBackend } from './dev-backend.js';
import { LightningError } from './errors.js';
import { DEFAULT_HOLD_CLTV_DELTA, DEV_BLOCK_INTERVAL_MS } from './limits.js';
import { generateNodeKey } from './node-key.js';

const T0 = Date.UTC(2025, 5, 1, 12, 0, 0);
const NODE_KEY = generateNodeKey(deterministicRng('dev node key'));
const OTHER_KEY = generateNodeKey(deterministicRng('another dev node'));
const sha256 = (hex: string): string => createHash('sha256').update(Buffer.from(hex, 'hex')).digest('hex');
const HOLD = { amountSats: 100, description: 'Postage for a message to alice@example.test', expirySeconds: 3600 };

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(LightningError);
    return { code: (err as LightningError).code, message: (err as Error).message };
  }
  throw new Error('expected a LightningError');
}

describe.each(BACKENDS)('DevLightningBackend (%s)', (backend) => {
  let t: TestDb;
  let clock: number;
  let rng: (n: number) => Uint8Array;
  let dev: DevLightningBackend;
  let preimage: string;
  let paymentHash: string;

  const make = (nodeKey = NODE_KEY) => new DevLightningBackend({ db: t.db, nodeKey, random: rng, now: () => clock });

  beforeAll(async () => {
    t = await openTestDb(backend);
  });
  afterAll(() => t.dispose());
  beforeEach(async () => {
    await t.db.exec('DELETE FROM dev_lightning_invoices');
    clock = T0 + 123; // not on a whole second: invoice times are
    rng = deterministicRng(`dev backend ${backend}`);
    dev = make();
    preimage = Buffer.from(rng(32)).toString('hex');
    paymentHash = sha256(preimage);
  });

  it('issues real regtest hold invoices that pass the payer checks', async () => {
    const created = await dev.createHoldInvoice({ ...HOLD, paymentHash, cltvDelta: 40 });
    const info = await dev.nodeInfo();
    const inv = decodeBolt11(created.bolt11, { network: 'regtest', now: clock, expectedAmountSats: 100 });
    expect(created.bolt11.startsWith('lnbcrt1u1')).toBe(true);
    expect(inv).toMatchObject({
      network: 'regtest',
      paymentHash,
      payee: info.publicKey,
      description: HOLD.description,
      createdAt: T0,
      expirySeconds: 3600,
      expiresAt: T0 + 3_600_000,
      minFinalCltvDelta: 40,
    });
    expect(inv.paymentSecret).toMatch(/^[0-9a-f]{64}$/);
    expect(inv.features.map((f) => f.name)).toEqual(['var_onion_optin', 'payment_secret']);
    expect(created).toEqual({ bolt11: created.bolt11, paymentHash, expiresAt: T0 + 3_600_000 });
    expect(await dev.lookup(paymentHash)).toEqual({
      paymentHash,
      state: 'open',
      amountSats: 100,
      hold: true,
      bolt11: created.bolt11,
      createdAt: T0,
      expiresAt: T0 + 3_600_000,
    });
    expect(dev.capabilities()).toEqual({ kind: 'dev', network: 'regtest', holdInvoices: true, paysExternalInvoices: false });
  });

  it('runs the hold lifecycle: open → held → settled, with notifications', async () => {
    const { bolt11 } = await dev.createHoldInvoice({ ...HOLD, paymentHash });
    const seen: InvoiceStatus[] = [];
    const unsubscribe = dev.subscribe(paymentHash, (s) => seen.push(s));
    clock += 5_000;
    const held = await dev.sendPayment(bolt11, { maxFeeSats: 10 });
    expect(held).toMatchObject({ state: 'held', heldAt: clock, settleDeadline: clock + DEFAULT_HOLD_CLTV_DELTA * DEV_BLOCK_INTERVAL_MS });
    expect(held.preimage).toBeUndefined();
    clock += 5_000;
    const settled = await dev.settle(preimage);
    expect(settled).toMatchObject({ state: 'settled', settledAt: clock, preimage });
    expect(settled.settleDeadline).toBeUndefined();
    expect(seen.map((s) => s.state)).toEqual(['held', 'settled']);
    unsubscribe();
    await dev.cancel(paymentHash).catch(() => {});
    expect(seen).toHaveLength(2);
  });

  it('pay() waits for the payee: settle gives the preimage, cancel refunds', async () => {
    const { bolt11 } = await dev.createHoldInvoice({ ...HOLD, paymentHash });
    const paying = dev.pay(bolt11, { maxFeeSats: 0 });
    await expect.poll(async () => (await dev.lookup(paymentHash)).state).toBe('held');
    await dev.settle(preimage);
    await expect(paying).resolves.toEqual({ paymentHash, preimage, feeSats: 0 });

    const other = Buffer.from(rng(32)).toString('hex');
    const second = await dev.createHoldInvoice({ ...HOLD, paymentHash: sha256(other) });
    const refused = dev.pay(second.bolt11, { maxFeeSats: 0 });
    await expect.poll(async () => (await dev.lookup(sha256(other))).state).toBe('held');
    await dev.cancel(sha256(other));
    expect(await refusal(refused)).toEqual({ code: 'payment_failed', message: 'the payee canceled the payment; the amount is returned' });
  });

  it('refuses a wrong preimage, settling twice, and settling or paying what is not held', async () => {
    const { bolt11 } = await dev.createHoldInvoice({ ...HOLD, paymentHash });
    expect(await refusal(dev.settle(preimage))).toEqual({
      code: 'invoice_wrong_state',
      message: 'the invoice is not paid yet, so it cannot be settled',
    });
    await dev.sendPayment(bolt11, { maxFeeSats: 0 });
    expect(await refusal(dev.sendPayment(bolt11, { maxFeeSats: 0 }))).toEqual({ code: 'payment_failed', message: 'the invoice is already paid' });
    expect(await refusal(dev.settle(sha256(preimage)))).toEqual({
      code: 'preimage_mismatch',
      message: 'no invoice has the sha256 of this preimage as its payment hash',
    });
    expect((await dev.lookup(paymentHash)).state).toBe('held');
    await dev.settle(preimage);
    expect(await refusal(dev.settle(preimage))).toEqual({ code: 'invoice_wrong_state', message: 'the invoice is already settled, so it cannot be settled' });
    expect(await refusal(dev.cancel(paymentHash))).toEqual({ code: 'invoice_wrong_state', message: 'the invoice is already settled, so it cannot be canceled' });
  });

  it('cancels open and held invoices; canceling twice is harmless; a canceled one cannot be settled or paid', async () => {
    const { bolt11 } = await dev.createHoldInvoice({ ...HOLD, paymentHash });
    await dev.sendPayment(bolt11, { maxFeeSats: 0 });
    clock += 1_000;
    expect(await dev.cancel(paymentHash)).toMatchObject({ state: 'canceled', canceledAt: clock, heldAt: clock - 1_000 });
    expect(await dev.cancel(paymentHash)).toMatchObject({ state: 'canceled', canceledAt: clock });
    expect(await refusal(dev.settle(preimage))).toEqual({ code: 'invoice_wrong_state', message: 'the invoice is already canceled, so it cannot be settled' });

    const other = sha256(Buffer.from(rng(32)).toString('hex'));
    const open = await dev.createHoldInvoice({ ...HOLD, paymentHash: other });
    expect((await dev.cancel(other)).state).toBe('canceled');
    expect(await refusal(dev.sendPayment(open.bolt11, { maxFeeSats: 0 }))).toEqual({ code: 'payment_failed', message: 'the invoice was canceled' });
  });

  it('expires: an open invoice is canceled at its expiry, a held payment at its HTLC deadline', async () => {
    const { bolt11, expiresAt } = await dev.createHoldInvoice({ ...HOLD, paymentHash, expirySeconds: 60 });
    const seen: string[] = [];
    dev.subscribe(paymentHash, (s) => seen.push(s.state));
    clock = expiresAt - 1;
    expect((await dev.lookup(paymentHash)).state).toBe('open');
    clock = expiresAt;
    expect(await dev.lookup(paymentHash)).toMatchObject({ state: 'canceled', canceledAt: expiresAt });
    expect(seen).toEqual(['canceled']);
    expect(await refusal(dev.sendPayment(bolt11, { maxFeeSats: 0 }))).toEqual({
      code: 'bolt11_expired',
      message: `invoice expired at ${new Date(expiresAt).toISOString()}`,
    });

    const p2 = Buffer.from(rng(32)).toString('hex');
    const second = await dev.createHoldInvoice({ ...HOLD, paymentHash: sha256(p2), cltvDelta: 18 });
    const held = await dev.sendPayment(second.bolt11, { maxFeeSats: 0 });
    clock = held.settleDeadline!;
    // The refusal commits the timeout it reports.
    expect(await refusal(dev.settle(p2))).toEqual({ code: 'invoice_wrong_state', message: 'the invoice is already canceled, so it cannot be settled' });
    expect(await dev.lookup(sha256(p2))).toMatchObject({ state: 'canceled', canceledAt: held.settleDeadline });
  });

  it('normal invoices settle when paid and give the preimage', async () => {
    const created = await dev.createInvoice({ amountSats: 2_500, description: 'dev top-up', expirySeconds: 600 });
    const paid = await dev.pay(created.bolt11, { maxFeeSats: 0 });
    expect(sha256(paid.preimage)).toBe(created.paymentHash);
    expect(await dev.lookup(created.paymentHash)).toMatchObject({ state: 'settled', hold: false, preimage: paid.preimage });
    expect(await refusal(dev.pay(created.bolt11, { maxFeeSats: 0 }))).toEqual({ code: 'payment_failed', message: 'the invoice is already paid' });
    expect(await refusal(dev.settle(paid.preimage))).toEqual({ code: 'invoice_wrong_state', message: 'not a hold invoice: it settles itself when paid' });
  });

  it('keeps state in the database, not in the object', async () => {
    const { bolt11 } = await dev.createHoldInvoice({ ...HOLD, paymentHash });
    await make().sendPayment(bolt11, { maxFeeSats: 0 });
    await dev.close();
    expect((await make().lookup(paymentHash)).state).toBe('held');
    expect((await make().settle(preimage)).state).toBe('settled');
  });

  it('refuses duplicate hashes, unknown hashes, other nodes’ invoices and bad arguments', async () => {
    await dev.createHoldInvoice({ ...HOLD, paymentHash });
    expect(await refusal(dev.createHoldInvoice({ ...HOLD, paymentHash }))).toEqual({
      code: 'invoice_exists',
      message: `an invoice with payment hash ${paymentHash} already exists`,
    });
    const unknown = 'ab'.repeat(32);
    expect(await refusal(dev.lookup(unknown))).toEqual({ code: 'invoice_not_found', message: `no invoice with payment hash ${unknown}` });
    expect(await refusal(dev.cancel(unknown))).toEqual({ code: 'invoice_not_found', message: `no invoice with payment hash ${unknown}` });

    const foreign = await make(OTHER_KEY).createInvoice({ amountSats: 5, description: 'x', expirySeconds: 60 });
    expect(await refusal(dev.pay(foreign.bolt11, { maxFeeSats: 0 }))).toEqual({
      code: 'payment_failed',
      message: 'the dev backend can pay only invoices it issued itself',
    });
    const mainnet = 'lnbc2500u1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5xysxxatsyp3k7enxv4jsxqzpu9qrsgquk0rl77nj30yxdy8j9vdx85fkpmdla2087ne0xh8nhedh8w27kyke0lp53ut353s06fv3qfegext0eh0ymjpf39tuven09sam30g4vgpfna3rh';
    expect((await refusal(dev.pay(mainnet, { maxFeeSats: 0 }))).code).toBe('bolt11_wrong_network');

    const bad = [
      [{ ...HOLD, paymentHash: 'XY' }, 'paymentHash must be 64 lowercase hex characters'],
      [{ ...HOLD, paymentHash: unknown, amountSats: 0 }, 'amountSats must be a whole number 1-2100000000000000'],
      [{ ...HOLD, paymentHash: unknown, amountSats: 1.5 }, 'amountSats must be a whole number 1-2100000000000000'],
      [{ ...HOLD, paymentHash: unknown, expirySeconds: 0 }, 'expirySeconds must be an integer 1-604800'],
      [{ ...HOLD, paymentHash: unknown, description: 'x'.repeat(640) }, 'description must be a string of at most 639 bytes'],
      [{ ...HOLD, paymentHash: unknown, cltvDelta: 17 }, 'cltvDelta must be an integer 18-2016'],
    ] as const;
    for (const [request, message] of bad) {
      expect(await refusal(dev.createHoldInvoice(request))).toEqual({ code: 'invalid_argument', message });
    }
    expect(await refusal(dev.settle('00'))).toEqual({ code: 'invalid_argument', message: 'preimage must be 64 lowercase hex characters' });
  });

  it('one payment wins when two race for the same invoice', async () => {
    const { bolt11 } = await dev.createHoldInvoice({ ...HOLD, paymentHash });
    const results = await Promise.allSettled([make().sendPayment(bolt11, { maxFeeSats: 0 }), make().sendPayment(bolt11, { maxFeeSats: 0 })]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect((rejected.reason as Error).message).toBe('the invoice is already paid');
  });

  it('a listener that throws does not stop the others', async () => {
    const errors: unknown[] = [];
    const quiet = new DevLightningBackend({ db: t.db, nodeKey: NODE_KEY, random: rng, now: () => clock, onListenerError: (e) => errors.push(e) });
    const { bolt11 } = await quiet.createHoldInvoice({ ...HOLD, paymentHash });
    const seen: string[] = [];
    quiet.subscribe(paymentHash, () => {
      throw new Error('listener bug');
    });
    quiet.subscribe(paymentHash, (s) => seen.push(s.state));
    await quiet.sendPayment(bolt11, { maxFeeSats: 0 });
    expect(seen).toEqual(['held']);
    expect(errors).toHaveLength(1);
  });
});
