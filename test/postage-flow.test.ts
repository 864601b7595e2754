// Postage end to end, through real sockets on one gateway (embedded database, dev Lightning
// backend): a stranger whose mail passes SPF gets exactly one auto-reply with a real regtest
// invoice (DKIM-signed, RFC 3834), pays it with `lnmp-gateway dev pay`, and the message
// reaches the INBOX tagged $Postage-100; deleting it cancels (refunds) the payment, reading
// a second one settles it. Unauthenticated senders, friends and mailing lists get no
// auto-reply at all: the remote MX sees one message in the whole file.
import { dkimVerify } from 'mailauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBolt11 } from '../lightning/bolt11.js';
import { eventually, find, invoiceIn, message, move, startPostageGateway, type PostageGateway } from './helpers/postage-gateway.js';

let g: PostageGateway;

beforeAll(async () => {
  g = await startPostageGateway();
}, 120_000);

afterAll(async () => {
  await g?.close();
});

describe('postage', () => {
  let bolt11 = '';
  let payUrl = '';
  it('answers an authenticated stranger with exactly one DKIM-signed RFC 3834 auto-reply carrying a valid regtest invoice', async () => {
    await g.send('bob@sender.test', message('bob@sender.test', 'Cold pitch'));
    await g.remote.until('the postage auto-reply', () => g.remote.received.length >= 1);
    const reply = g.remote.received[0]!;
    expect(reply.from).toBe('');
    expect(reply.to).toEqual(['bob@sender.test']);
    const text = reply.data.toString('utf8');
    expect(text).toMatch(/^Auto-Submitted: auto-replied\r$/m);
    expect(text).toMatch(/^In-Reply-To: <cold-pitch@sender\.test>\r$/m);
    expect(text).toMatch(/^From: <alice@example\.test>\r$/m);
    expect(text).toMatch(/^Subject: Auto: postage requested \(Re: Cold pitch\)\r$/m);
    expect(text).toContain('pay 100 sats of Lightning postage and it will be delivered to the inbox at once');
    const verified = await dkimVerify(reply.data, { resolver: g.resolver });
    expect(verified.results.map((r) => [r.signingDomain, r.status.result])).toEqual([['example.test', 'pass']]);
    bolt11 = invoiceIn(reply.data);
    payUrl = /^Pay page: (http:\/\/\S+)\r$/m.exec(text)![1]!;
    expect(text).toContain(`lightning:${bolt11}`);
    const invoice = decodeBolt11(bolt11, { network: 'regtest', now: Date.now(), expectedAmountSats: 100 });
    const nodeKey = g.logLines.map((l) => JSON.parse(l) as { msg: string; publicKey?: string }).find((l) => l.msg === 'lightning backend')!.publicKey;
    expect(invoice.payee).toBe(nodeKey);
    expect(invoice.expiresAt - invoice.createdAt).toBe(24 * 3600 * 1000);
    const page = await fetch(payUrl);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Cold pitch');
    // A second message from the same sender within the window: Screener, no second reply.
    await g.send('bob@sender.test', message('bob@sender.test', 'Following up'));
    const all = await g.cases();
    expect(all.map((c) => c.state)).toEqual(['screened', 'open']);
    expect(all[0]!.events.at(-1)!.reason).toBe('auto-reply already sent in the window');
  });

  it('sends no auto-reply to an unauthenticated sender, a mailing list or a friend; the friend reaches the INBOX', async () => {
    // No SPF for elsewhere.test: not proven, so never answered (no backscatter).
    await g.send('bounce@elsewhere.test', message('spoofed@elsewhere.test', 'Unproven'));
    await g.send('bob@sender.test', message('bob@sender.test', 'Newsletter', 'List-Id: <news.sender.test>\r\n'));
    expect((await g.cli(['contacts', 'set', 'alice@example.test', 'carol@sender.test', 'friend'])).code).toBe(0);
    await g.send('carol@sender.test', message('carol@sender.test', 'From a friend'));
    const client = await g.imap();
    try {
      expect(await find(client, 'INBOX', 'From a friend')).toBeDefined();
      for (const subject of ['Unproven', 'Newsletter', 'Cold pitch', 'Following up']) expect(await find(client, 'Screener', subject), subject).toBeDefined();
    } finally {
      await client.logout();
    }
    const all = await g.cases();
    expect(all.slice(0, 2).map((c) => [c.state, c.events[0]!.reason])).toEqual([
      ['screened', 'mailing-list'],
      ['screened', 'unauthenticated'],
    ]);
    // Give the worker a few passes: still exactly one message at the remote MX.
    await new Promise((r) => setTimeout(r, 2500));
    expect(g.remote.received).toHaveLength(1);
  });

  it('dev pay delivers the message to the INBOX with $Postage and $Postage-100; deleting it cancels (refunds) the payment', async () => {
    const paid = await g.cli(['dev', 'pay', bolt11, '--json']);
    expect(paid.code, paid.err).toBe(0);
    expect(JSON.parse(paid.out)).toMatchObject({ state: 'held' });
    const client = await g.imap();
    try {
      const delivered = await eventually('paid message in the INBOX', () => find(client, 'INBOX', 'Cold pitch'));
      expect([...delivered.flags].filter((f) => f.startsWith('$'))).toEqual(['$Postage', '$Postage-100']);
      expect(await find(client, 'Screener', 'Cold pitch')).toBeUndefined();
      const page = await fetch(payUrl);
      expect(await page.text()).toContain('Delivered');
      // Paying twice is refused with one line.
      const again = await g.cli(['dev', 'pay', bolt11]);
      expect([again.code, again.err]).toEqual([1, 'lnmp-gateway: the invoice is already paid\n']);
      // The recipient deletes it: the held payment is canceled, the sender refunded.
      await move(client, 'INBOX', delivered.uid, 'Trash');
    } finally {
      await client.logout();
    }
    const refunded = await eventually('the payment canceled', async () => (await g.cases()).find((c) => c.state === 'canceled' && c.amountSats === 100));
    expect(refunded.events.map((e) => e.state)).toEqual(['pending', 'open', 'held', 'canceled']);
    expect(refunded.events.at(-1)!.reason).toBe('deleted or moved to Junk/Trash by the recipient; refunded');
  });

  it('reading a paid message settles its postage and makes the sender an acquaintance', async () => {
    // A new stranger (so the auto-reply window does not apply).
    await g.send('dave@sender.test', message('dave@sender.test', 'Paid and read'));
    await g.remote.until('the second auto-reply', () => g.remote.received.length >= 2);
    const invoice = invoiceIn(g.remote.received[1]!.data);
    expect((await g.cli(['dev', 'pay', invoice])).code).toBe(0);
    const client = await g.imap();
    try {
      const delivered = await eventually('paid message in the INBOX', () => find(client, 'INBOX', 'Paid and read'));
      const lock = await client.getMailboxLock('INBOX');
      try {
        await client.messageFlagsAdd(String(delivered.uid), ['\\Seen'], { uid: true });
      } finally {
        lock.release();
      }
    } finally {
      await client.logout();
    }
    const settled = await eventually('the payment settled', async () => (await g.cases()).find((c) => c.state === 'settled'));
    expect(settled.events.at(-1)!.reason).toBe('read');
    const standing = await g.cli(['contacts', 'show', 'alice@example.test', 'dave@sender.test']);
    expect(standing.out).toBe('dave@sender.test: acquaintance\n');
  });

  it('moving a Screener message to the INBOX approves the sender as a friend, free, and withdraws the invoice', async () => {
    await g.send('erin@sender.test', message('erin@sender.test', 'Approve me'));
    await g.remote.until('the third auto-reply', () => g.remote.received.length >= 3);
    const client = await g.imap();
    try {
      const screened = await eventually('message in the Screener', () => find(client, 'Screener', 'Approve me'));
      await move(client, 'Screener', screened.uid, 'INBOX');
    } finally {
      await client.logout();
    }
    await eventually('the case approved', async () => (await g.cases()).find((c) => c.state === 'approved'));
    expect((await g.cli(['contacts', 'show', 'alice@example.test', 'erin@sender.test'])).out).toBe('erin@sender.test: friend\n');
    const invoice = invoiceIn(g.remote.received[2]!.data);
    const late = await g.cli(['dev', 'pay', invoice]);
    expect([late.code, late.err]).toEqual([1, 'lnmp-gateway: the invoice was canceled\n']);
  });
});
