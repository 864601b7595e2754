// Two gateways, two domains, mail between their users as LNMP: submission signs and seals for
// the recipient's key found by discovery, the recipient's gateway holds a stranger's envelope
// for postage (the invoice goes back through the relay and reaches the sender as a notice),
// and the reply goes back over LNMP to a friend. No SMTP connection is ever made.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './helpers/postage-gateway.js';
import { startLnmpGateway, type LnmpGateway, type LnmpZone } from './helpers/lnmp-gateway.js';
import type { ImapFlow } from 'imapflow';

let a: LnmpGateway;
let b: LnmpGateway;
let alice: string;
let bob: string;

async function messages(client: ImapFlow, mailbox: string): Promise<Array<{ uid: number; subject: string; size: number; source: string; flags: Set<string> }>> {
  const lock = await client.getMailboxLock(mailbox);
  try {
    const out = [];
    for await (const m of client.fetch('1:*', { uid: true, envelope: true, size: true, source: true, flags: true })) {
      out.push({ uid: m.uid, subject: m.envelope?.subject ?? '', size: m.size ?? -1, source: m.source?.toString('latin1') ?? '', flags: m.flags ?? new Set<string>() });
    }
    return out;
  } finally {
    lock.release();
  }
}

async function waitFor(gw: LnmpGateway, user: string, mailbox: string, subject: string) {
  return eventually(`${subject} in ${user}'s ${mailbox}`, async () => {
    const client = await gw.imap(user);
    try {
      return (await messages(client, mailbox)).find((m) => m.subject === subject);
    } finally {
      await client.logout();
    }
  });
}

beforeAll(async () => {
  const zone: LnmpZone = new Map();
  a = await startLnmpGateway('a.test', zone);
  b = await startLnmpGateway('b.test', zone);
  alice = await a.addUser('alice');
  bob = await b.addUser('bob');
}, 60_000);

afterAll(async () => {
  await a?.close();
  await b?.close();
});

describe('mail between two gateways travels as LNMP', () => {
  it('serves each user a signed identity document that names the gateway relay through the gateway document', async () => {
    const res = await fetch(`http://127.0.0.1:${b.gateway.httpPort}/.well-known/lnmp/users/b.test/bob`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { addresses: string[]; relays: unknown[] };
    expect(doc.addresses).toEqual([bob]);
    expect(doc.relays).toEqual([]);
    const gw = (await (await fetch(`http://127.0.0.1:${b.gateway.httpPort}/.well-known/lnmp`)).json()) as { relays: Array<{ url: string }> };
    expect(gw.relays).toEqual([{ url: `ws://127.0.0.1:${b.gateway.relayPort}` }]);
    expect((await fetch(`http://127.0.0.1:${b.gateway.httpPort}/.well-known/lnmp/users/b.test/nobody`)).status).toBe(404);
  });

  it('holds a stranger envelope for postage, tells the sender, delivers once paid with lnmp=pass, and the reply comes back over LNMP', async () => {
    const body = 'Hello Bob, this went over LNMP.\r\n';
    await a.submit('alice@a.test', {
      from: 'alice@a.test',
      to: bob,
      raw: `From: Alice <alice@a.test>\r\nTo: <${bob}>\r\nSubject: Over LNMP\r\nMessage-ID: <first@a.test>\r\nDate: Sat, 28 Nov 2026 10:00:00 +0000\r\n\r\n${body}`,
    });
    // Bob's gateway holds it in the Screener; Alice learns the price from a notice.
    const notice = await waitFor(a, 'alice@a.test', 'INBOX', 'Postage requested: 100 sats');
    expect(notice.source).toContain('X-LNMP-Postage: request');
    const bolt11 = /^lightning:(lnbcrt[0-9a-z]+)\r$/m.exec(notice.source)![1]!;
    const held = await waitFor(b, 'bob@b.test', 'Screener', 'Over LNMP');
    expect(held.source).toContain('lnmp=pass');

    const paid = await b.cli(['dev', 'pay', bolt11]);
    expect(paid.code, paid.err).toBe(0);
    const delivered = await waitFor(b, 'bob@b.test', 'INBOX', 'Over LNMP');
    expect(delivered.flags.has('$Postage')).toBe(true);
    const unfolded = delivered.source.replace(/\r\n(?=[ \t])/g, '');
    expect(unfolded).toMatch(new RegExp(`^Authentication-Results: mail\\.b\\.test; lnmp=pass header\\.from=${alice.toLowerCase().replace(/[.#]/g, '\\$&')} \\(signer=[0-9a-f]{64}\\)\r\n`));
    expect(delivered.source).toContain(`From: Alice <${alice}>\r\n`);
    expect(delivered.source.endsWith(`\r\n\r\n${body}`)).toBe(true);
    expect(delivered.size).toBe(Buffer.byteLength(delivered.source, 'latin1'));

    // Bob replies from his mail client to the address he sees; Alice wrote to Bob first, so
    // his key is her friend: straight to her INBOX, no postage.
    await b.submit('bob@b.test', {
      from: 'bob@b.test',
      to: alice,
      raw: `From: Bob <bob@b.test>\r\nTo: <${alice}>\r\nSubject: Re: Over LNMP\r\nIn-Reply-To: <first@a.test>\r\nMessage-ID: <reply@b.test>\r\nDate: Sat, 28 Nov 2026 10:05:00 +0000\r\n\r\nGot it.\r\n`,
    });
    const reply = await waitFor(a, 'alice@a.test', 'INBOX', 'Re: Over LNMP');
    expect(reply.source.replace(/\r\n(?=[ \t])/g, '')).toContain(`lnmp=pass header.from=${bob.toLowerCase()}`);
    expect(reply.source).toContain(`From: Bob <${bob}>\r\n`);

    // Neither MX ever saw a connection: nothing went over SMTP.
    for (const gw of [a, b]) {
      expect(await gw.metric('lnmp_connections_total{protocol="smtp"}')).toBe(0);
      expect(await gw.metric('lnmp_queue_depth')).toBe(0);
    }
  }, 60_000);

  it('shows an envelope that arrives during an open session with its exact size', async () => {
    const client = await b.imap('bob@b.test');
    try {
      await client.mailboxOpen('INBOX');
      await a.submit('alice@a.test', { from: 'alice@a.test', to: bob, raw: `From: Alice <alice@a.test>\r\nTo: <${bob}>\r\nSubject: While you are here\r\nMessage-ID: <live@a.test>\r\n\r\nLive.\r\n` });
      const live = await eventually('the live message', async () => {
        await client.noop();
        for await (const m of client.fetch('1:*', { envelope: true, size: true, source: true })) {
          if (m.envelope?.subject === 'While you are here') return m;
        }
        return undefined;
      });
      expect(live.size).toBe(live.source!.length);
      expect(live.source!.toString()).toContain('lnmp=pass');
    } finally {
      await client.logout();
    }
  }, 60_000);

  it('delivers what was queued while the recipient relay was down, once it is back, each message once', async () => {
    // Bob replied to Alice, so her key is his friend: these go straight to his INBOX.
    const send = (n: number) =>
      a.submit('alice@a.test', { from: 'alice@a.test', to: bob, raw: `From: Alice <alice@a.test>\r\nTo: <${bob}>\r\nSubject: Queued ${n}\r\nMessage-ID: <queued-${n}@a.test>\r\n\r\nNumber ${n}.\r\n` });
    await send(0);
    await waitFor(b, 'bob@b.test', 'INBOX', 'Queued 0');
    const restarted = b.restart(3_000);
    // B is going down: these wait in A's relay outbox (discovery answers from A's cache).
    await new Promise((r) => setTimeout(r, 500));
    for (const n of [1, 2, 3]) await send(n);
    await restarted;
    for (const n of [1, 2, 3]) await waitFor(b, 'bob@b.test', 'INBOX', `Queued ${n}`);
    const client = await b.imap('bob@b.test');
    try {
      const subjects = (await messages(client, 'INBOX')).map((m) => m.subject).filter((s) => s.startsWith('Queued'));
      expect(subjects.sort()).toEqual(['Queued 0', 'Queued 1', 'Queued 2', 'Queued 3']);
    } finally {
      await client.logout();
    }
  }, 90_000);
});
