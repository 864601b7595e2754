// Legacy mail as LNMP: envelopes signed by the gateway, sealed per recipient, placed by the
// contacts gate; re-wrapped to the mailbox key at login with the signature checked; the
// contacts table holds no address in clear.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMessage, identityFromPrivateKey, utf8, type Identity } from '../core/index.js';
import { openTestDb, type TestDb } from '../test/helpers/databases.js';
import { AccountService } from './account-service.js';
import { ContactService } from './contact-service.js';
import { InboundMail } from './inbound-mail.js';
import { login } from './login.js';
import { MailboxService } from './mailbox-service.js';
import { SEAL_ENVELOPE, SEAL_MAILBOX_KEY } from './message-crypto.js';
import { MessageService } from './message-service.js';
import { contactsGate } from './postage.js';
import { systemRng } from './random.js';

const kdf = { N: 1024, r: 8, p: 1 };
const raw = (subject: string, from = 'Carol <carol@remote.test>') =>
  utf8(`Received: from x\r\nFrom: ${from}\r\nTo: a@example.test\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}@remote.test>\r\n\r\nBody of ${subject}.\r\n`);

let t: TestDb;
let accounts: AccountService;
let mailboxes: MailboxService;
let messages: MessageService;
let contacts: ContactService;
let gateway: Identity;
let inbound: InboundMail;
const users: number[] = [];

beforeAll(async () => {
  t = await openTestDb('pglite');
  accounts = new AccountService(t.db, { rng: systemRng, kdf });
  mailboxes = new MailboxService(t.db, { rng: systemRng });
  messages = new MessageService(t.db, { rng: systemRng });
  contacts = new ContactService(t.db, { gatewaySecret: systemRng(32) });
  gateway = identityFromPrivateKey(systemRng(32));
  inbound = new InboundMail({ messages, gate: contactsGate(contacts), gateway, rng: systemRng });
  await accounts.addDomain('example.test');
  for (const name of ['a', 'b']) users.push((await accounts.createUser({ address: `${name}@example.test`, password: 'password123' })).userId);
});
afterAll(() => t.dispose());

async function blobSeals(userId: number): Promise<number[]> {
  const rows = await t.db.query<{ seal: number }>('SELECT b.seal FROM blobs b JOIN messages m ON m.blob_id = b.id WHERE m.user_id = $1 ORDER BY m.id', [userId]);
  return rows.map((r) => r.seal);
}

describe('InboundMail', () => {
  it('delivers one envelope per recipient; login re-wraps it to the mailbox key, byte-exact', async () => {
    const message = raw('first');
    const outcomes = await inbound.deliver({ raw: message, userIds: users, from: 'carol@remote.test', fromAuthenticated: true });
    expect(outcomes.map((o) => o.ok && o.decision)).toEqual([
      { role: 'screener', reason: 'stranger' },
      { role: 'screener', reason: 'stranger' },
    ]);
    expect(await blobSeals(users[0]!)).toEqual([SEAL_ENVELOPE]);
    const session = await login(accounts, messages, 'a@example.test', 'password123');
    try {
      expect(await blobSeals(users[0]!)).toEqual([SEAL_MAILBOX_KEY]);
      const box = await mailboxes.byRole(session, 'screener');
      const [fetched] = await messages.fetch(session, box.id, [1]);
      expect(Buffer.from(fetched!.raw).equals(Buffer.from(message))).toBe(true);
      expect(fetched!.size).toBe(message.length);
    } finally {
      session.lock();
    }
    // The other recipient's copy is untouched by a's login.
    expect(await blobSeals(users[1]!)).toEqual([SEAL_ENVELOPE]);
  });

  it('sends a proven friend to the INBOX, an unproven or blocked one to the Screener', async () => {
    await contacts.addFriends(users[1]!, ['DAVE@remote.test']);
    const deliver = (subject: string, fromAuthenticated: boolean) =>
      inbound.deliver({ raw: raw(subject, 'dave@remote.test'), userIds: [users[1]!], from: 'dave@remote.test', fromAuthenticated });
    expect((await deliver('proven', true))[0]).toMatchObject({ ok: true, decision: { role: 'inbox', reason: 'contact:friend' } });
    expect((await deliver('unproven', false))[0]).toMatchObject({ ok: true, decision: { role: 'screener', reason: 'unauthenticated' } });
    expect((await inbound.deliver({ raw: raw('no from', ''), userIds: [users[1]!], from: undefined, fromAuthenticated: false }))[0]).toMatchObject({
      ok: true,
      decision: { role: 'screener', reason: 'no-sender' },
    });
    await t.db.query("UPDATE contacts SET class = 'blocked' WHERE user_id = $1", [users[1]!]);
    await contacts.addFriends(users[1]!, ['dave@remote.test']);
    expect(await contacts.classify(users[1]!, 'Dave@Remote.Test')).toBe('blocked');
    expect((await deliver('blocked', true))[0]).toMatchObject({ ok: true, decision: { role: 'screener', reason: 'contact:blocked' } });
    // Another user does not share the contact.
    expect(await contacts.classify(users[0]!, 'dave@remote.test')).toBeUndefined();
    const stored = await t.db.query<{ h: string }>("SELECT encode(address_hash, 'escape') AS h FROM contacts");
    expect(stored.some((r) => r.h.toLowerCase().includes('dave'))).toBe(false);
  });

  it('reports a failed recipient without failing the others', async () => {
    const outcomes = await inbound.deliver({ raw: raw('partial'), userIds: [users[0]!, 999_999], from: undefined, fromAuthenticated: false });
    expect(outcomes[0]).toMatchObject({ userId: users[0], ok: true });
    expect(outcomes[1]).toMatchObject({ userId: 999_999, ok: false, error: { code: 'user_not_found' } });
  });

  it('quarantines at login an envelope blob whose signature does not verify: the login succeeds, that message alone reports integrity', async () => {
    const forged = (publicKey: string) => {
      const msg = createMessage({ privateKey: gateway.privateKey, to: [publicKey], content: { type: 'text', body: 'x', mime: 'eA==' }, timestamp: 1 }, systemRng);
      return { ...msg, signature: msg.signature.replace(/^./, (c) => (c === '0' ? '1' : '0')) };
    };
    const bad = await messages.deliver({ userId: users[0]!, raw: utf8('x'), envelope: forged });
    const good = (await inbound.deliver({ raw: raw('after the forged one'), userIds: [users[0]!], from: undefined, fromAuthenticated: false }))[0]!;
    const session = await login(accounts, messages, 'a@example.test', 'password123');
    try {
      const rows = await t.db.query<{ seal: number; quarantined: boolean }>(
        'SELECT b.seal, b.quarantined FROM blobs b JOIN messages m ON m.blob_id = b.id WHERE m.id = ANY($1::int8[]) ORDER BY m.id',
        [[bad.id, good.ok ? good.message.id : 0]],
      );
      expect(rows).toEqual([{ seal: SEAL_ENVELOPE, quarantined: true }, { seal: SEAL_MAILBOX_KEY, quarantined: false }]);
      await expect(messages.fetch(session, bad.mailboxId, [bad.uid])).rejects.toMatchObject({ code: 'integrity' });
      if (!good.ok) throw new Error('the second delivery failed');
      const [fetched] = await messages.fetch(session, good.message.mailboxId, [good.message.uid]);
      expect(Buffer.from(fetched!.raw).toString()).toContain('Subject: after the forged one');
    } finally {
      session.lock();
    }
    // The next login does not trip over it again.
    (await login(accounts, messages, 'a@example.test', 'password123')).lock();
  });
});
