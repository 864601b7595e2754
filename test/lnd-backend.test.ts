// The lnd backend against a fake LND that is a real gRPC server over TLS (test/fake-lnd/):
// the behaviours of the dev backend's tests through the `lightning` package's real client,
// plus what only a remote node has: credentials refused at open, an unreachable socket, and
// a node that restarts under a live subscription.
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deterministicRng } from '../core/deterministic-rng.js';
import type { InvoiceState } from '../lightning/backend.js';
import { decodeBolt11 } from '../lightning/bolt11.js';
import { LightningError } from '../lightning/errors.js';
import { LND_BLOCK_INTERVAL_MS } from '../lightning/limits.js';
import { openLndBackend, type LndBackend, type LndDeps } from '../lightning/lnd-backend.js';
import type { LndSettings } from '../lightning/lnd-credentials.js';
import { generateNodeKey } from '../lightning/node-key.js';
import { fakeMacaroon, fakeTlsCertificate, type FakeTls } from './fake-lnd/credentials.js';
import { InvoiceBook } from './fake-lnd/invoice-book.js';
import { FakeLnd } from './fake-lnd/server.js';

const NODE_KEY = generateNodeKey(deterministicRng('fake lnd node key'));
const OTHER_KEY = generateNodeKey(deterministicRng('another lnd node'));
const MACAROON = fakeMacaroon('admin');
const HOLD = { amountSats: 100, description: 'Postage for a message to alice@example.test', expirySeconds: 3600 };
const START_HEIGHT = 800;
const sha256 = (hex: string): string => createHash('sha256').update(Buffer.from(hex, 'hex')).digest('hex');
const rng = deterministicRng('lnd backend test');
const newPreimage = (): string => Buffer.from(rng(32)).toString('hex');

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(LightningError);
    return { code: (err as LightningError).code, message: (err as Error).message };
  }
  throw new Error('expected a LightningError');
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('LndBackend against a fake LND over gRPC', () => {
  let tls: FakeTls;
  let fake: FakeLnd;
  let backend: LndBackend;
  let clock: number;
  const errors: unknown[] = [];
  const open = (overrides: Partial<LndSettings> = {}, deps: LndDeps = {}): Promise<LndBackend> =>
    openLndBackend(
      { socket: fake.socket, cert: Buffer.from(tls.cert).toString('base64'), macaroon: MACAROON.toString('hex'), ...overrides },
      { now: () => clock, onError: (e) => errors.push(e), resubscribeMinMs: 50, resubscribeMaxMs: 400, ...deps },
    );

  beforeAll(async () => {
    tls = await fakeTlsCertificate();
    fake = await FakeLnd.start({ tls, macaroon: MACAROON, nodeKey: NODE_KEY, height: START_HEIGHT });
    backend = await open();
  });
  afterAll(async () => {
    await backend?.close();
    await fake?.stop();
  });
  beforeEach(() => {
    clock = Date.now();
    errors.length = 0;
  });

  it('opens with GetInfo once and reports the node', async () => {
    expect(fake.calls[0]).toBe('GetInfo');
    expect(backend.capabilities()).toEqual({ kind: 'lnd', network: 'regtest', holdInvoices: true, paysExternalInvoices: true });
    expect(await backend.nodeInfo()).toEqual({ publicKey: fake.publicKey, alias: 'fake-lnd', network: 'regtest', blockHeight: START_HEIGHT, synced: true });
  });

  it('creates hold invoices from the caller’s payment hash, signed by the node key', async () => {
    const paymentHash = sha256(newPreimage());
    const created = await backend.createHoldInvoice({ ...HOLD, paymentHash, cltvDelta: 40 });
    const invoice = decodeBolt11(created.bolt11, { network: 'regtest', now: Date.now(), expectedAmountSats: 100 });
    expect(invoice).toMatchObject({ network: 'regtest', paymentHash, payee: fake.publicKey, description: HOLD.description, expirySeconds: 3600, minFinalCltvDelta: 40 });
    expect(created).toEqual({ bolt11: created.bolt11, paymentHash, expiresAt: invoice.expiresAt });
    expect(await backend.lookup(paymentHash)).toEqual({
      paymentHash,
      state: 'open',
      amountSats: 100,
      hold: true,
      bolt11: created.bolt11,
      createdAt: invoice.createdAt,
      expiresAt: invoice.expiresAt,
    });
  });

  it('runs the hold lifecycle open → held → settled, with the settle deadline from block heights', async () => {
    const preimage = newPreimage();
    const paymentHash = sha256(preimage);
    await backend.createHoldInvoice({ ...HOLD, paymentHash });
    const seen: InvoiceState[] = [];
    const unsubscribe = backend.subscribe(paymentHash, (s) => seen.push(s.state));
    await expect.poll(() => seen).toEqual(['open']);

    const paid = fake.pay(paymentHash);
    await expect.poll(() => seen).toEqual(['open', 'held']);
    const heldAt = (paid.htlcs[0]?.acceptTime ?? 0) * 1000;
    // The default CLTV delta is 80 blocks: the HTLC expires at height 880.
    expect(await backend.lookup(paymentHash)).toMatchObject({ state: 'held', hold: true, heldAt, settleDeadline: clock + 80 * LND_BLOCK_INTERVAL_MS });
    fake.mineBlocks(10);
    expect((await backend.lookup(paymentHash)).settleDeadline).toBe(clock + 70 * LND_BLOCK_INTERVAL_MS);

    const settled = await backend.settle(preimage);
    expect(settled).toMatchObject({ state: 'settled', hold: true, preimage, heldAt });
    expect(settled.settledAt).toBeGreaterThanOrEqual(heldAt);
    expect(settled.settleDeadline).toBeUndefined();
    await expect.poll(() => seen).toEqual(['open', 'held', 'settled']);
    unsubscribe();
    await expect.poll(() => fake.openStreams).toBe(0);
    expect(errors).toEqual([]);
  });

  it('cancels open and held invoices; canceling twice is harmless; a canceled one cannot be settled', async () => {
    const preimage = newPreimage();
    const paymentHash = sha256(preimage);
    await backend.createHoldInvoice({ ...HOLD, paymentHash });
    fake.pay(paymentHash);
    const canceled = await backend.cancel(paymentHash);
    expect(canceled).toMatchObject({ state: 'canceled', hold: true });
    expect(canceled.canceledAt).toBeGreaterThan(0);
    expect((await backend.cancel(paymentHash)).state).toBe('canceled');
    expect(await refusal(backend.settle(preimage))).toEqual({ code: 'invoice_wrong_state', message: 'the invoice is already canceled, so it cannot be settled' });

    const open = sha256(newPreimage());
    await backend.createHoldInvoice({ ...HOLD, paymentHash: open });
    expect(await backend.cancel(open)).toMatchObject({ state: 'canceled', hold: true });
  });

  it('refuses a wrong preimage, unpaid or settled invoices, unknown and duplicate hashes, bad arguments', async () => {
    const preimage = newPreimage();
    const paymentHash = sha256(preimage);
    await backend.createHoldInvoice({ ...HOLD, paymentHash });
    expect(await refusal(backend.settle(preimage))).toEqual({ code: 'invoice_wrong_state', message: 'the invoice is not paid yet, so it cannot be settled' });
    expect(await refusal(backend.createHoldInvoice({ ...HOLD, paymentHash }))).toEqual({
      code: 'invoice_exists',
      message: `an invoice with payment hash ${paymentHash} already exists`,
    });
    fake.pay(paymentHash);
    expect(await refusal(backend.settle(sha256(preimage)))).toEqual({
      code: 'preimage_mismatch',
      message: 'no invoice has the sha256 of this preimage as its payment hash',
    });
    await backend.settle(preimage);
    expect(await refusal(backend.settle(preimage))).toEqual({ code: 'invoice_wrong_state', message: 'the invoice is already settled, so it cannot be settled' });
    expect(await refusal(backend.cancel(paymentHash))).toEqual({ code: 'invoice_wrong_state', message: 'the invoice is already settled, so it cannot be canceled' });

    const unknown = 'ab'.repeat(32);
    expect(await refusal(backend.lookup(unknown))).toEqual({ code: 'invoice_not_found', message: `no invoice with payment hash ${unknown}` });
    expect(await refusal(backend.cancel(unknown))).toEqual({ code: 'invoice_not_found', message: `no invoice with payment hash ${unknown}` });
    expect(await refusal(backend.createHoldInvoice({ ...HOLD, paymentHash: 'XY' }))).toEqual({ code: 'invalid_argument', message: 'paymentHash must be 64 lowercase hex characters' });
    expect(await refusal(backend.createHoldInvoice({ ...HOLD, paymentHash: unknown, cltvDelta: 17 }))).toEqual({
      code: 'invalid_argument',
      message: 'cltvDelta must be an integer 18-2016',
    });
    expect(await refusal(backend.settle('00'))).toEqual({ code: 'invalid_argument', message: 'preimage must be 64 lowercase hex characters' });
  });

  it('pays invoices through SendPaymentV2: a normal one at once, a hold one when settled, a canceled one never', async () => {
    const created = await backend.createInvoice({ amountSats: 2_500, description: 'top-up', expirySeconds: 600 });
    const paid = await backend.pay(created.bolt11, { maxFeeSats: 10 });
    expect(paid).toEqual({ paymentHash: created.paymentHash, preimage: paid.preimage, feeSats: 0 });
    expect(sha256(paid.preimage)).toBe(created.paymentHash);
    expect(await backend.lookup(created.paymentHash)).toMatchObject({ state: 'settled', hold: false, preimage: paid.preimage });
    expect(await refusal(backend.pay(created.bolt11, { maxFeeSats: 10 }))).toEqual({ code: 'payment_failed', message: 'the invoice is already paid' });

    const preimage = newPreimage();
    const hold = await backend.createHoldInvoice({ ...HOLD, paymentHash: sha256(preimage) });
    const paying = backend.pay(hold.bolt11, { maxFeeSats: 0 });
    await expect.poll(async () => (await backend.lookup(hold.paymentHash)).state).toBe('held');
    await backend.settle(preimage);
    await expect(paying).resolves.toEqual({ paymentHash: hold.paymentHash, preimage, feeSats: 0 });

    const refunded = await backend.createHoldInvoice({ ...HOLD, paymentHash: sha256(newPreimage()) });
    const refused = refusal(backend.pay(refunded.bolt11, { maxFeeSats: 0 }));
    await expect.poll(async () => (await backend.lookup(refunded.paymentHash)).state).toBe('held');
    await backend.cancel(refunded.paymentHash);
    expect(await refused).toEqual({
      code: 'payment_failed',
      message: 'the payee rejected the payment (the invoice is unknown to it, or was canceled)',
    });

    const elsewhere = new InvoiceBook(OTHER_KEY, START_HEIGHT, Date.now).add({ memo: 'x', valueMsat: 5_000n, expiry: 600, cltvExpiry: 40, preimage: newPreimage() });
    expect(await refusal(backend.pay(elsewhere.request, { maxFeeSats: 0 }))).toEqual({ code: 'payment_failed', message: 'no route to the payee was found' });
    expect((await refusal(backend.pay('lnbc1garbage', { maxFeeSats: 0 }))).code).toBe('bolt11_malformed');
  });

  it('refuses a wrong macaroon at open with one clear line', async () => {
    const wrong = fakeMacaroon('someone else');
    expect(await refusal(open({ macaroon: wrong.toString('base64') }))).toEqual({
      code: 'backend_unauthenticated',
      message: `LND at ${fake.socket} refused the macaroon (verification failed: signature mismatch); check lightning.lnd.macaroon`,
    });
  });

  it('reports an unreachable socket and a certificate that does not match as backend_unreachable', async () => {
    const socket = `127.0.0.1:${await closedPort()}`;
    const unreachable = await refusal(open({ socket }));
    expect(unreachable.code).toBe('backend_unreachable');
    expect(unreachable.message.startsWith(`LND at ${socket} cannot be reached (`)).toBe(true);

    const other = await fakeTlsCertificate();
    const untrusted = await refusal(open({ cert: Buffer.from(other.cert).toString('base64') }));
    expect(untrusted.code).toBe('backend_unreachable');
    expect(untrusted.message.startsWith(`LND at ${fake.socket} cannot be reached (`)).toBe(true);
  });

  it('refuses malformed credentials before connecting, naming the setting but not the macaroon', async () => {
    const secretLooking = 'deadbeef'.repeat(8);
    const bad = await refusal(open({ macaroon: secretLooking }));
    expect(bad).toEqual({ code: 'lnd_config_invalid', message: 'lightning.lnd.macaroon: not a macaroon (expected a file path, hex or base64 of a macaroon)' });
    expect(await refusal(open({ cert: 'bm90IGEgY2VydGlmaWNhdGU=' }))).toEqual({
      code: 'lnd_config_invalid',
      message: 'lightning.lnd.cert: not a certificate (expected a file path, PEM or base64 of a PEM certificate)',
    });
    expect(await refusal(open({ macaroon: '/nonexistent/admin.macaroon' }))).toEqual({
      code: 'lnd_config_invalid',
      message: 'lightning.lnd.macaroon: cannot read /nonexistent/admin.macaroon: no such file',
    });
  });

  it('reads cert and macaroon from files (binary macaroon, PEM certificate)', async () => {
    const files: Record<string, Uint8Array> = { '/lnd/admin.macaroon': MACAROON, '/lnd/tls.cert': Buffer.from(tls.cert) };
    const readFile = (path: string): Uint8Array => {
      const bytes = files[path];
      if (!bytes) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return bytes;
    };
    const fromFiles = await open({ cert: '/lnd/tls.cert', macaroon: '/lnd/admin.macaroon' }, { readFile });
    expect((await fromFiles.nodeInfo()).publicKey).toBe(fake.publicKey);
    await fromFiles.close();
  });

  it('keeps a subscription across a restart of the node and still reports the settle', async () => {
    const preimage = newPreimage();
    const paymentHash = sha256(preimage);
    await backend.createHoldInvoice({ ...HOLD, paymentHash });
    const seen: InvoiceState[] = [];
    const unsubscribe = backend.subscribe(paymentHash, (s) => seen.push(s.state));
    await expect.poll(() => seen).toEqual(['open']);
    fake.pay(paymentHash);
    await expect.poll(() => seen).toEqual(['open', 'held']);

    await fake.stop();
    await expect.poll(() => errors.length).toBeGreaterThan(0);
    expect(errors.every((e) => e instanceof LightningError && e.code === 'backend_unreachable')).toBe(true);
    expect((await refusal(backend.lookup(paymentHash))).code).toBe('backend_unreachable');
    await fake.start();

    // gRPC reconnects with its own backoff; the first calls after the restart may still fail.
    await expect.poll(async () => backend.lookup(paymentHash).then((s) => s.state, () => 'down'), { timeout: 15_000, interval: 200 }).toBe('held');
    await backend.settle(preimage);
    await expect.poll(() => seen, { timeout: 10_000 }).toEqual(['open', 'held', 'settled']);
    unsubscribe();
  });

  it('gives up a subscription to an unknown hash after telling onError', async () => {
    const unknown = sha256(newPreimage());
    const seen: InvoiceState[] = [];
    backend.subscribe(unknown, (s) => seen.push(s.state));
    await expect.poll(() => errors.length).toBe(1);
    expect(errors[0]).toMatchObject({ code: 'invoice_not_found', message: `no invoice with payment hash ${unknown}` });
    await new Promise((r) => setTimeout(r, 200)); // longer than the first backoff: no retry
    expect(errors).toHaveLength(1);
    expect(seen).toEqual([]);
  });

  it('close() ends every stream it opened', async () => {
    const other = await open();
    const paymentHash = sha256(newPreimage());
    await other.createHoldInvoice({ ...HOLD, paymentHash });
    const seen: InvoiceState[] = [];
    other.subscribe(paymentHash, (s) => seen.push(s.state));
    other.subscribe(paymentHash, (s) => seen.push(s.state));
    await expect.poll(() => seen).toEqual(['open', 'open']);
    const before = fake.openStreams;
    await other.close();
    await expect.poll(() => fake.openStreams).toBe(before - 2);
    fake.pay(paymentHash);
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toEqual(['open', 'open']);
    expect(() => other.subscribe(paymentHash, () => {})).toThrow('the lnd backend is closed');
    expect(await refusal(other.lookup(paymentHash))).toEqual({ code: 'backend_unreachable', message: 'the lnd backend is closed' });
  });
});
