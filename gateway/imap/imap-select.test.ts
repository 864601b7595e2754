// SELECT from the process's SelectCache, over real TLS sockets and a real PostgreSQL schema:
// a mailbox selected again after changes made elsewhere (arrivals, flags, expunges, a row
// removed without a journal entry) announces exactly what is stored; many sessions on one
// mailbox all hear a change.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openImapGateway, PASSWORD, type ImapGateway } from '../../test/helpers/imap-gateway.js';
import { RawImapSession } from '../../test/helpers/imap-session.js';
import type { ImapListener } from './imap-server.js';
import { SelectCache } from './select-cache.js';

let g: ImapGateway;
let server: ImapListener;
const MESSAGE = Buffer.from('From: bob@example.test\r\nTo: alice@example.test\r\nSubject: cached\r\n\r\nHello.\r\n');

beforeAll(async () => {
  g = await openImapGateway();
  server = await g.start({ implicitTls: true });
});

afterAll(async () => {
  await g.dispose();
});

async function raw(): Promise<RawImapSession> {
  const { session } = await RawImapSession.open(server.port, { tls: true });
  await session.command(`LOGIN alice@example.test ${PASSWORD}`);
  return session;
}

/** The untagged FLAGS and EXISTS of a SELECT, and the UIDs a UID SEARCH ALL then finds. */
async function selectState(s: RawImapSession, mailbox: string): Promise<{ flags: string; exists: string; uids: string }> {
  const lines = await s.command(`SELECT ${mailbox}`);
  const search = await s.command('UID SEARCH ALL');
  return { flags: lines.find((l) => l.startsWith('* FLAGS'))!, exists: lines.find((l) => l.endsWith(' EXISTS'))!, uids: search.find((l) => l.startsWith('* SEARCH'))! };
}

describe('SELECT over the select cache', () => {
  it('announces arrivals, new keywords and expunges made by other sessions since the last SELECT', async () => {
    const writer = await g.client(server.port);
    await writer.mailboxCreate('Cached');
    for (let i = 0; i < 4; i++) await writer.append('Cached', MESSAGE);
    const s = await raw();
    expect(await selectState(s, 'Cached')).toEqual({ flags: '* FLAGS (\\Answered \\Flagged \\Draft \\Deleted \\Seen)', exists: '* 4 EXISTS', uids: '* SEARCH 1 2 3 4' });
    await writer.mailboxOpen('Cached');
    await writer.messageFlagsAdd('3', ['$Later'], { uid: true });
    await writer.messageDelete('2', { uid: true });
    await writer.append('Cached', MESSAGE, ['$New']);
    const again = await raw();
    expect(await selectState(again, 'Cached')).toEqual({ flags: '* FLAGS (\\Answered \\Flagged \\Draft \\Deleted \\Seen $Later $New)', exists: '* 4 EXISTS', uids: '* SEARCH 1 3 4 5' });
    // The first session, selecting again, sees the same.
    expect(await selectState(s, 'Cached')).toEqual({ flags: '* FLAGS (\\Answered \\Flagged \\Draft \\Deleted \\Seen $Later $New)', exists: '* 4 EXISTS', uids: '* SEARCH 1 3 4 5' });
    await s.command('LOGOUT');
    await again.command('LOGOUT');
  });

  it('brings a cached mailbox forward from the changes since its modseq instead of listing it again', async () => {
    const account = await g.accounts.authenticate('alice@example.test', PASSWORD);
    const box = await g.mailboxes.create(account, 'Forward');
    for (let i = 0; i < 3; i++) await g.messages.append(account, box.id, MESSAGE);
    let listings = 0;
    const messages = {
      selectInfo: (...args: Parameters<typeof g.messages.selectInfo>) => (listings++, g.messages.selectInfo(...args)),
      list: g.messages.list.bind(g.messages),
      expungedSince: g.messages.expungedSince.bind(g.messages),
    };
    const cache = new SelectCache();
    const state = async () => {
      const { uids, keywords } = await cache.state(messages, account, await g.mailboxes.selectable(account, 'Forward'));
      return { uids: Array.from(uids), keywords, listings };
    };
    expect(await state()).toEqual({ uids: [1, 2, 3], keywords: [], listings: 1 });
    expect(await state()).toEqual({ uids: [1, 2, 3], keywords: [], listings: 1 });
    await g.messages.store(account, box.id, [2], 'add', ['$Kept']);
    await g.messages.store(account, box.id, [1], 'add', ['\\Deleted']);
    await g.messages.expunge(account, box.id);
    await g.messages.append(account, box.id, MESSAGE, { flags: ['$Arrived'] });
    expect(await state()).toEqual({ uids: [2, 3, 4], keywords: ['$Arrived', '$Kept'], listings: 1 });
    account.lock();
  });

  it('lists the mailbox again when a message went without a journal entry', async () => {
    const writer = await g.client(server.port);
    await writer.mailboxCreate('Unjournaled');
    for (let i = 0; i < 3; i++) await writer.append('Unjournaled', MESSAGE);
    const s = await raw();
    expect((await selectState(s, 'Unjournaled')).uids).toBe('* SEARCH 1 2 3');
    await g.t.db.query('DELETE FROM messages WHERE user_id = $1 AND uid = 2 AND mailbox_id = (SELECT max(id) FROM mailboxes WHERE user_id = $1)', [g.alice.userId]);
    await writer.append('Unjournaled', MESSAGE);
    expect(await selectState(s, 'Unjournaled')).toEqual({ flags: '* FLAGS (\\Answered \\Flagged \\Draft \\Deleted \\Seen)', exists: '* 3 EXISTS', uids: '* SEARCH 1 3 4' });
    await s.command('LOGOUT');
  });

  it('a mailbox deleted and created again under the same name starts empty', async () => {
    const writer = await g.client(server.port);
    await writer.mailboxCreate('Reborn');
    await writer.append('Reborn', MESSAGE);
    const s = await raw();
    expect((await selectState(s, 'Reborn')).exists).toBe('* 1 EXISTS');
    await s.command('UNSELECT');
    await writer.mailboxDelete('Reborn');
    await writer.mailboxCreate('Reborn');
    expect(await selectState(s, 'Reborn')).toEqual({ flags: '* FLAGS (\\Answered \\Flagged \\Draft \\Deleted \\Seen)', exists: '* 0 EXISTS', uids: '* SEARCH' });
    await s.command('LOGOUT');
  });

  it('every one of many sessions on a mailbox hears each change once', async () => {
    const writer = await g.client(server.port);
    await writer.mailboxCreate('Crowd');
    await writer.append('Crowd', MESSAGE);
    const watchers = await Promise.all(Array.from({ length: 6 }, () => raw()));
    for (const w of watchers) await w.command('SELECT Crowd');
    await writer.mailboxOpen('Crowd');
    await writer.messageFlagsAdd('1', ['\\Flagged'], { uid: true });
    await writer.append('Crowd', MESSAGE);
    for (const w of watchers) {
      // The two changes may reach a session in one NOOP or in two: what it heard in all is each once.
      const heard: string[] = [];
      const listen = async (): Promise<string[]> => {
        heard.push(...(await w.command('NOOP')).filter((l) => l.startsWith('* ')));
        return heard;
      };
      await expect.poll(listen, { timeout: 10_000, interval: 50 }).toEqual(['* 1 FETCH (FLAGS (\\Flagged))', '* 2 EXISTS']);
      expect(await w.command('NOOP')).toEqual([expect.stringMatching(/^T\d+ OK Nothing done$/)]);
      await w.command('LOGOUT');
    }
  });
});
