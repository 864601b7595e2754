// CONDSTORE (RFC 7162) over IMAPS and a real PostgreSQL schema, with exact response lines:
// SELECT (CONDSTORE) and HIGHESTMODSEQ, FETCH MODSEQ and CHANGEDSINCE, STORE and UID STORE
// UNCHANGEDSINCE with MODIFIED, SEARCH MODSEQ and STATUS HIGHESTMODSEQ. Expected modseqs
// are read from the message service, so the test checks the protocol against the store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openImapGateway, PASSWORD, type ImapGateway } from './helpers/imap-gateway.js';
import { RawImapSession } from './helpers/imap-session.js';
import type { ImapListener } from '../gateway/imap/imap-server.js';
import type { UnlockedAccount } from '../services/unlocked-account.js';

let g: ImapGateway;
let server: ImapListener;
let account: UnlockedAccount;

const message = (n: number) => Buffer.from(`From: bob@example.test\r\nTo: alice@example.test\r\nSubject: cond ${n}\r\n\r\nBody ${n}.\r\n`);

beforeAll(async () => {
  g = await openImapGateway();
  server = await g.start({ implicitTls: true });
  account = await g.accounts.authenticate('alice@example.test', PASSWORD);
});

afterAll(async () => {
  account.lock();
  await g.dispose();
});

/** The lines with the tagged completion's tag replaced by `T` (for commands after a poll). */
const untag = (lines: string[]) => lines.map((l) => l.replace(/^T\d+ /, 'T '));

async function login(): Promise<RawImapSession> {
  const { session } = await RawImapSession.open(server.port, { tls: true });
  await session.command(`LOGIN alice@example.test ${PASSWORD}`);
  return session;
}

/** A mailbox of alice with `count` messages; returns its id and each UID's modseq. */
async function mailbox(name: string, count: number): Promise<{ id: number; modseq: (uid: number) => number; highest: () => Promise<number> }> {
  const mb = await g.mailboxes.create(account, name);
  for (let i = 1; i <= count; i++) await g.messages.append(account, mb.id, message(i), { flags: i === 1 ? ['\\Seen'] : [] });
  let rows = await g.messages.list(account, mb.id);
  return {
    id: mb.id,
    modseq: (uid) => rows.find((m) => m.uid === uid)!.modseq,
    highest: async () => {
      rows = await g.messages.list(account, mb.id);
      return (await g.mailboxes.byName(account, name)).highestmodseq;
    },
  };
}

describe('IMAP CONDSTORE', () => {
  it('SELECT (CONDSTORE) reports HIGHESTMODSEQ; FETCH MODSEQ and CHANGEDSINCE answer from the store', async () => {
    const mb = await mailbox('Cond', 3);
    const highest = await mb.highest();
    const s = await login();
    expect(await s.command('SELECT Cond (CONDSTORE)')).toEqual([
      '* FLAGS (\\Answered \\Flagged \\Draft \\Deleted \\Seen)',
      '* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Draft \\Deleted \\Seen \\*)] Flags permitted',
      expect.stringMatching(/^\* OK \[UIDVALIDITY \d+\] UIDs valid$/),
      '* 3 EXISTS',
      '* 0 RECENT',
      `* OK [HIGHESTMODSEQ ${highest}] Highest`,
      '* OK [UIDNEXT 4] Predicted next UID',
      'T2 OK [READ-WRITE] SELECT completed, CONDSTORE is now enabled',
    ]);
    expect(await s.command('FETCH 1:* (UID FLAGS MODSEQ)')).toEqual([
      `* 1 FETCH (UID 1 FLAGS (\\Seen) MODSEQ (${mb.modseq(1)}))`,
      `* 2 FETCH (UID 2 FLAGS () MODSEQ (${mb.modseq(2)}))`,
      `* 3 FETCH (UID 3 FLAGS () MODSEQ (${mb.modseq(3)}))`,
      'T3 OK FETCH completed',
    ]);
    // Another client changes message 2; only it is newer than the HIGHESTMODSEQ seen at SELECT.
    const { updated } = await g.messages.store(account, mb.id, [2], 'add', ['$Work']);
    const changed = updated[0]!.modseq;
    expect(changed).toBeGreaterThan(highest);
    expect(untag(await s.command(`UID FETCH 1:* (FLAGS) (CHANGEDSINCE ${highest})`))).toEqual([`* 2 FETCH (FLAGS ($Work) UID 2 MODSEQ (${changed}))`, 'T OK UID FETCH completed']);
    expect(untag(await s.command(`FETCH 1:* (FLAGS) (CHANGEDSINCE ${changed})`))).toEqual(['T OK FETCH completed']);
    // The change is also announced to this session, with its MODSEQ since CONDSTORE is on.
    await expect.poll(async () => untag(await s.command('NOOP')), { timeout: 2000, interval: 50 }).toEqual(['* FLAGS (\\Answered \\Flagged \\Draft \\Deleted \\Seen $Work)', `* 2 FETCH (FLAGS ($Work) MODSEQ (${changed}))`, 'T OK Nothing done']);
    expect(untag(await s.command('STATUS Cond (HIGHESTMODSEQ MESSAGES)'))).toEqual([`* STATUS Cond (HIGHESTMODSEQ ${changed} MESSAGES 3)`, 'T OK STATUS completed']);
    await s.command('LOGOUT');
  });

  it('STORE and UID STORE UNCHANGEDSINCE change only untouched messages and answer MODIFIED (sequence numbers, then UIDs)', async () => {
    const mb = await mailbox('Guarded', 3);
    const s = await login();
    await s.command('ENABLE CONDSTORE');
    await s.command('SELECT Guarded');
    const before = await mb.highest();
    const { updated } = await g.messages.store(account, mb.id, [3], 'add', ['\\Flagged']);
    const concurrent = updated[0]!.modseq;
    // Let the other change reach this session first, so the lines below are only the STORE's.
    await expect.poll(async () => untag(await s.command('NOOP')), { timeout: 2000, interval: 50 }).toEqual([`* 3 FETCH (FLAGS (\\Flagged) MODSEQ (${concurrent}))`, 'T OK Nothing done']);

    const uidStore = untag(await s.command(`UID STORE 1:3 (UNCHANGEDSINCE ${before}) +FLAGS (\\Answered)`));
    const [after] = (await g.messages.listByUid(account, mb.id, [1]));
    expect(uidStore).toEqual([
      `* 1 FETCH (UID 1 FLAGS (\\Answered \\Seen) MODSEQ (${after!.modseq}))`,
      `* 2 FETCH (UID 2 FLAGS (\\Answered) MODSEQ (${after!.modseq}))`,
      'T OK [MODIFIED 3] Conditional UID STORE failed',
    ]);
    expect((await g.messages.listByUid(account, mb.id, [3]))[0]).toMatchObject({ flags: ['\\Flagged'], modseq: concurrent });

    // Non-UID STORE names the refused message by sequence number; .SILENT still reports MODSEQ.
    const seqStore = untag(await s.command(`STORE 2:3 (UNCHANGEDSINCE ${concurrent}) +FLAGS.SILENT (\\Draft)`));
    const [three] = await g.messages.listByUid(account, mb.id, [3]);
    expect(seqStore).toEqual([`* 3 FETCH (FLAGS (\\Draft \\Flagged) MODSEQ (${three!.modseq}))`, 'T OK [MODIFIED 2] Conditional STORE failed']);
    await s.command('LOGOUT');
  });

  it('SEARCH MODSEQ finds messages changed since a modseq and reports the highest of them', async () => {
    const mb = await mailbox('Since', 4);
    const base = await mb.highest();
    const first = (await g.messages.store(account, mb.id, [2], 'add', ['\\Seen'])).updated[0]!.modseq;
    const second = (await g.messages.store(account, mb.id, [4], 'add', ['\\Flagged'])).updated[0]!.modseq;
    const s = await login();
    await s.command('SELECT Since (CONDSTORE)');
    expect(await s.command(`SEARCH MODSEQ ${base + 1}`)).toEqual([`* SEARCH 2 4 (MODSEQ ${second})`, 'T3 OK SEARCH completed']);
    expect(await s.command(`UID SEARCH MODSEQ ${second} UNSEEN`)).toEqual([`* SEARCH 4 (MODSEQ ${second})`, 'T4 OK UID SEARCH completed']);
    expect(await s.command(`SEARCH MODSEQ ${first} SEEN`)).toEqual([`* SEARCH 2 (MODSEQ ${first})`, 'T5 OK SEARCH completed']);
    expect(await s.command(`SEARCH MODSEQ ${second + 1}`)).toEqual(['* SEARCH', 'T6 OK SEARCH completed']);
    await s.command('LOGOUT');
  });
});
