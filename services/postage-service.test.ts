// PostageService over a real PostgreSQL schema and the real dev Lightning backend, with a
// clock the test moves: prices (acquaintance, surge, free), the $Priority tag, refund on
// reply, the deadline's default action, expiry, and what the auto-reply queue holds.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DevLightningBackend } from '../lightning/dev-backend.js';
import { generateNodeKey } from '../lightning/node-key.js';
import { openTestDb, type TestDb } from '../test/helpers/databases.js';
import { AccountService } from './account-service.js';
import { ContactService } from './contact-service.js';
import { MessageService } from './message-service.js';
import { OutboundQueue } from './outbound-queue.js';
import { PostageService, type PostageSettings } from './postage-service.js';
import { systemRng } from './random.js';
import type { UnlockedAccount } from './unlocked-account.js';

const SETTINGS: PostageSettings = {
  strangerSats: 100, acquaintanceSats: 10, prioritySats: 1000, surgeUnread: 100,
  invoiceExpiryMinutes: 60, autoReplyWindowMinutes: 1440, settleMarginMinutes: 60, defaultAction: 'settle',
};
const HOUR = 3_600_000;

let t: TestDb;
let accounts: AccountService;
let messages: MessageService;
let contacts: ContactService;
let queue: OutboundQueue;
let backend: DevLightningBackend;
let clock: number;
let alice: UnlockedAccount;
let aliceId: number;
const secret = systemRng(32);

function service(settings: Partial<PostageSettings> = {}): PostageService {
  return new PostageService({
    db: t.db, backend, gatewaySecret: secret, rng: systemRng, settings: { ...SETTINGS, ...settings }, contacts, messages, queue,
    payUrl: (id) => `https://mx.example.test/pay/${id}`, hostname: 'mx.example.test', now: () => clock,
  });
}

let n = 0;
/** A stranger's message, delivered to where the gate says, its case opened; returns the state. */
async function arrive(postage: PostageService, from = `s${++n}@sender.test`) {
  const raw = Buffer.from(`From: ${from}\r\nSubject: hello ${n}\r\nMessage-ID: <m${n}@sender.test>\r\n\r\nhi\r\n`);
  const decision = await postage.decide({ userId: aliceId, from, fromAuthenticated: true });
  const message = await messages.deliver({ userId: aliceId, role: decision.role, raw });
  const state = decision.role === 'screener' ? await postage.screened({ userId: aliceId, from, fromAuthenticated: true, decision, message, raw, envelopeFrom: from }) : undefined;
  return { decision, message, state, from };
}

/** Issues the invoice, pays it, and waits until the message is held in the INBOX. */
async function paid(postage: PostageService) {
  const a = await arrive(postage);
  expect(await postage.issuePending()).toBe(1);
  const [row] = await t.db.query<{ bolt11: string; payment_hash: string }>("SELECT bolt11, payment_hash FROM postage WHERE state = 'open' ORDER BY id DESC LIMIT 1");
  await backend.sendPayment(row!.bolt11, { maxFeeSats: 0 });
  // The service hears the payment through its subscription to the backend.
  for (let i = 0; ; i++) {
    const [c] = await t.db.query<{ state: string }>('SELECT state FROM postage WHERE payment_hash = $1', [row!.payment_hash]);
    if (c!.state === 'held') break;
    if (i === 100) throw new Error('the payment was not held within 5 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  const [inbox] = await t.db.query<{ uid: number; flags: string[] }>(
    "SELECT m.uid, m.flags FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.role = 'inbox' AND m.user_id = $1 ORDER BY m.id DESC LIMIT 1",
    [aliceId],
  );
  return { ...a, paymentHash: row!.payment_hash, inbox: inbox! };
}

async function lastCase() {
  const [c] = await service().cases(aliceId, 1);
  return c!;
}

beforeAll(async () => {
  t = await openTestDb('postgres');
  accounts = new AccountService(t.db, { rng: systemRng, kdf: { N: 1024, r: 8, p: 1 } });
  messages = new MessageService(t.db, { rng: systemRng });
  contacts = new ContactService(t.db, { gatewaySecret: secret });
  queue = new OutboundQueue(t.db, { gatewaySecret: secret, rng: systemRng });
  clock = Date.now();
  backend = new DevLightningBackend({ db: t.db, nodeKey: generateNodeKey(systemRng), random: systemRng, now: () => clock });
  await accounts.addDomain('example.test');
  aliceId = (await accounts.createUser({ address: 'alice@example.test', password: 'password123' })).userId;
  alice = await accounts.authenticate('alice@example.test', 'password123');
});

afterAll(async () => {
  alice.lock();
  await t.dispose();
});

beforeEach(async () => {
  await t.db.query('DELETE FROM postage_policies');
  // Each test looks at its own cases only: earlier ones are closed.
  await t.db.query("UPDATE postage SET state = 'canceled' WHERE state IN ('screened', 'pending', 'open', 'held')");
});

describe('PostageService', () => {
  it('prices an acquaintance at the acquaintance price, a stranger at the stranger price, and sends nobody to the Screener for 0', async () => {
    const postage = service();
    await contacts.addAcquaintance(aliceId, 'known@sender.test');
    expect((await postage.decide({ userId: aliceId, from: 'known@sender.test', fromAuthenticated: true })).postage).toEqual({ amountSats: 10, priority: false, autoReply: true });
    expect((await postage.decide({ userId: aliceId, from: 'new@sender.test', fromAuthenticated: true })).postage).toEqual({ amountSats: 100, priority: false, autoReply: true });
    await postage.setPolicy(aliceId, { strangerSats: 0 });
    expect(await postage.decide({ userId: aliceId, from: 'new@sender.test', fromAuthenticated: true })).toEqual({ role: 'inbox', reason: 'stranger:free' });
  });

  it('doubles prices while more INBOX messages are unread than surgeUnread', async () => {
    const postage = service();
    await postage.setPolicy(aliceId, { surgeUnread: 2 });
    const unread = Number((await t.db.query<{ n: string }>("SELECT count(*) AS n FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id WHERE b.role = 'inbox' AND NOT ('\\Seen' = ANY (m.flags))"))[0]!.n);
    for (let i = unread; i < 3; i++) await messages.deliver({ userId: aliceId, role: 'inbox', raw: Buffer.from(`Subject: unread ${i}\r\n\r\nx\r\n`) });
    expect((await postage.decide({ userId: aliceId, from: 'new@sender.test', fromAuthenticated: true })).postage?.amountSats).toBe(200);
  });

  it('queues one auto-reply with the invoice and the pay page, then none for the same sender within the window', async () => {
    const postage = service();
    const first = await arrive(postage, 'same@sender.test');
    expect(first.state).toBe('pending');
    expect(await postage.issuePending()).toBe(1);
    const [queued] = await t.db.query<{ id: number; envelope_from: string }>('SELECT id, envelope_from FROM outbound_messages ORDER BY id DESC LIMIT 1');
    const reply = Buffer.from((await queue.message(queued!.id)).raw).toString('utf8');
    expect(queued!.envelope_from).toBe('');
    expect(reply).toMatch(/^To: <same@sender\.test>\r$/m);
    expect(reply).toMatch(/^Pay page: https:\/\/mx\.example\.test\/pay\/[A-Za-z0-9_-]{22}\r$/m);
    const second = await arrive(postage, 'same@sender.test');
    expect(second.state).toBe('screened');
    expect(await postage.issuePending()).toBe(0);
  });

  it('tags paid postage at or above the priority price with $Priority', async () => {
    const postage = service();
    await postage.setPolicy(aliceId, { strangerSats: 1000 });
    const p = await paid(postage);
    expect(p.inbox.flags).toEqual(['$Postage', '$Postage-1000', '$Priority']);
  });

  it('cancels (refunds) instead of settling when the user replies with refundOnReply', async () => {
    const postage = service();
    await postage.setPolicy(aliceId, { refundOnReply: true });
    const p = await paid(postage);
    const inboxId = (await t.db.query<{ id: number }>("SELECT id FROM mailboxes WHERE user_id = $1 AND role = 'inbox'", [aliceId]))[0]!.id;
    await messages.store(alice, inboxId, [p.inbox.uid], 'add', ['\\Answered', '\\Seen']);
    await postage.reconcile(aliceId);
    expect((await backend.lookup(p.paymentHash)).state).toBe('canceled');
    expect((await lastCase()).events.at(-1)).toMatchObject({ state: 'canceled', reason: 'replied (refund on reply); refunded' });
  });

  it('applies the default action at the deadline (settle, or cancel when configured)', async () => {
    const settling = service();
    const p = await paid(settling);
    const deadline = (await backend.lookup(p.paymentHash)).settleDeadline!;
    expect((await lastCase()).settleBy?.getTime()).toBe(deadline - SETTINGS.settleMarginMinutes * 60_000);
    clock = deadline - SETTINGS.settleMarginMinutes * 60_000 - 1;
    await settling.reconcile(aliceId);
    expect((await lastCase()).state).toBe('held');
    clock += 1;
    await settling.reconcile(aliceId);
    expect((await backend.lookup(p.paymentHash)).state).toBe('settled');
    expect((await lastCase()).events.at(-1)).toMatchObject({ state: 'settled', reason: 'deadline reached: default action' });

    const canceling = service({ defaultAction: 'cancel' });
    const q = await paid(canceling);
    clock = (await backend.lookup(q.paymentHash)).settleDeadline!;
    await canceling.reconcile(aliceId);
    expect((await backend.lookup(q.paymentHash)).state).toBe('canceled');
  });

  it('expires an unpaid invoice, and withdraws it at the backend', async () => {
    const postage = service();
    await arrive(postage);
    await postage.issuePending();
    const [row] = await t.db.query<{ payment_hash: string }>("SELECT payment_hash FROM postage WHERE state = 'open' ORDER BY id DESC LIMIT 1");
    clock += SETTINGS.invoiceExpiryMinutes * 60_000 + HOUR;
    await postage.reconcile(aliceId);
    expect((await lastCase()).state).toBe('expired');
    expect((await backend.lookup(row!.payment_hash)).state).toBe('canceled');
  });
});
