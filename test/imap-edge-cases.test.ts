// IMAP behaviour users of other servers complain about, with exact lines over IMAPS and a
// real PostgreSQL schema: the handshake with SNI, STORE on a message another session
// expunged, commands pipelined after IDLE's DONE, expunging everything, UNSELECT and CLOSE,
// ID and ENABLE, QUOTA from the service, a UTF-8 APPEND returned byte for byte, and COPY
// surviving the original's expunge.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openImapGateway, PASSWORD, type ImapGateway } from './helpers/imap-gateway.js';
import { RawImapSession } from './helpers/imap-session.js';
import type { ImapListener } from '../gateway/imap/imap-server.js';
import { VERSION } from '../gateway/version.js';
import type { UnlockedAccount } from '../services/unlocked-account.js';

let g: ImapGateway;
let server: ImapListener;
let account: UnlockedAccount;

const message = (n: number) => Buffer.from(`From: bob@example.test\r\nTo: alice@example.test\r\nSubject: edge ${n}\r\n\r\nBody ${n}.\r\n`);

beforeAll(async () => {
  g = await openImapGateway();
  server = await g.start({ implicitTls: true });
  account = await g.accounts.authenticate('alice@example.test', PASSWORD);
});

afterAll(async () => {
  account.lock();
  await g.dispose();
});

async function login(): Promise<RawImapSession> {
  const { session } = await RawImapSession.open(server.port, { tls: true });
  await session.command(`LOGIN alice@example.test ${PASSWORD}`);
  return session;
}

/** A mailbox of alice holding `count` messages (UIDs 1..count). */
async function mailbox(name: string, count: number, flags: (n: number) => string[] = () => []): Promise<number> {
  const mb = await g.mailboxes.create(account, name);
  for (let i = 1; i <= count; i++) await g.messages.append(account, mb.id, message(i), { flags: flags(i) });
  return mb.id;
}

describe('IMAP edge cases', () => {
  it('completes the IMAPS handshake when the client sends SNI, as every mail client does', async () => {
    for (const servername of ['mail.example.test', 'other.example']) {
      const { session, greeting } = await RawImapSession.open(server.port, { tls: true, servername });
      expect(greeting).toMatch(/^\* OK LNMP Gateway ready/);
      expect((await session.command(`LOGIN alice@example.test ${PASSWORD}`)).at(-1)).toBe('T1 OK alice@example.test authenticated');
      await session.command('LOGOUT');
    }
  });

  it('STORE and UID STORE on a message another session expunged answer OK and change nothing', async () => {
    const id = await mailbox('Vanishing', 3);
    const a = await login();
    const b = await login();
    await a.command('SELECT Vanishing');
    await b.command('SELECT Vanishing');
    await b.command('UID STORE 2 +FLAGS.SILENT (\\Deleted)');
    expect(await b.command('EXPUNGE')).toEqual(['* 2 EXPUNGE', 'T4 OK EXPUNGE completed']);
    // Session a has not been told yet: its sequence number 2 is still UID 2. STORE sends no EXPUNGE.
    expect(await a.command('STORE 2 +FLAGS (\\Seen)')).toEqual(['T3 OK STORE completed']);
    const uidStore = await a.command('UID STORE 2 +FLAGS (\\Flagged)');
    // UID STORE may deliver the pending EXPUNGE (UIDs do not shift), never a FETCH for UID 2.
    expect(uidStore.at(-1)).toBe('T4 OK UID STORE completed');
    expect(uidStore.slice(0, -1).every((l) => l === '* 2 EXPUNGE' || l === '* 2 EXISTS')).toBe(true);
    expect((await g.messages.list(account, id)).map((m) => [m.uid, m.flags])).toEqual([[1, []], [3, []]]);
    await a.command('LOGOUT');
    await b.command('LOGOUT');
  });

  it('answers commands pipelined right after IDLE DONE in order, also when DONE comes with the IDLE', async () => {
    await mailbox('Pipelined', 1);
    const s = await login();
    await s.command('SELECT Pipelined');
    s.write('I1 IDLE\r\n');
    expect(await s.line()).toBe('+ idling');
    s.write('DONE\r\nP1 NOOP\r\nP2 UID FETCH 1 (FLAGS)\r\nP3 CHECK\r\n');
    expect(await s.until('P3')).toEqual(['I1 OK IDLE terminated', 'P1 OK Nothing done', '* 1 FETCH (FLAGS () UID 1)', 'P2 OK UID FETCH completed', 'P3 OK CHECK completed']);
    s.write('I2 IDLE\r\nDONE\r\nQ1 NOOP\r\n');
    expect(await s.until('Q1')).toEqual(['+ idling', 'I2 OK IDLE terminated', 'Q1 OK Nothing done']);
    await s.command('LOGOUT');
  });

  it('a keyword another session introduces reaches an idling session as an untagged FLAGS before its FETCH', async () => {
    await mailbox('Keywords', 2, (n) => (n === 1 ? ['$Known'] : []));
    const watcher = await login();
    const writer = await login();
    expect((await watcher.command('SELECT Keywords'))[0]).toBe('* FLAGS (\\Answered \\Flagged \\Draft \\Deleted \\Seen $Known)');
    await writer.command('SELECT Keywords');
    watcher.write('W1 IDLE\r\n');
    expect(await watcher.line()).toBe('+ idling');
    // The writer is told itself (its STORE announces the keyword); the watcher learns it from the update.
    expect(await writer.command('STORE 2 +FLAGS ($Fresh)')).toEqual(['* FLAGS (\\Answered \\Flagged \\Draft \\Deleted \\Seen $Fresh $Known)', '* 2 FETCH (FLAGS ($Fresh))', 'T3 OK STORE completed']);
    expect([await watcher.line(), await watcher.line()]).toEqual(['* FLAGS (\\Answered \\Flagged \\Draft \\Deleted \\Seen $Fresh $Known)', '* 2 FETCH (FLAGS ($Fresh))']);
    // A keyword already announced is not announced again.
    await writer.command('STORE 1 +FLAGS ($Fresh)');
    expect(await watcher.line()).toBe('* 1 FETCH (FLAGS ($Fresh $Known))');
    expect(await watcher.linesWithin(300)).toEqual([]);
    watcher.write('DONE\r\n');
    expect(await watcher.until('W1')).toEqual(['W1 OK IDLE terminated']);
    await watcher.command('LOGOUT');
    await writer.command('LOGOUT');
  });

  it('expunging every message tells a watcher once: EXPUNGEs, one * 0 EXISTS, then silence', async () => {
    await mailbox('Emptied', 2);
    const watcher = await login();
    const writer = await login();
    await watcher.command('SELECT Emptied');
    await writer.command('SELECT Emptied');
    watcher.write('W1 IDLE\r\n');
    expect(await watcher.line()).toBe('+ idling');
    await writer.command('STORE 1:* +FLAGS.SILENT (\\Deleted)');
    expect(await writer.command('EXPUNGE')).toEqual(['* 1 EXPUNGE', '* 1 EXPUNGE', 'T4 OK EXPUNGE completed']);
    const seen: string[] = [];
    while (!seen.includes('* 0 EXISTS')) seen.push(await watcher.line());
    expect(seen.filter((l) => !l.includes('FETCH'))).toEqual(['* 1 EXPUNGE', '* 1 EXPUNGE', '* 0 EXISTS']);
    expect(await watcher.linesWithin(300)).toEqual([]);
    watcher.write('DONE\r\n');
    expect(await watcher.until('W1')).toEqual(['W1 OK IDLE terminated']);
    expect(await watcher.command('NOOP')).toEqual(['T3 OK Nothing done']);
    expect(await writer.command('NOOP')).toEqual(['T5 OK Nothing done']);
    expect(await watcher.command('FETCH 1:* (FLAGS)')).toEqual(['T4 OK FETCH completed']);
    await watcher.command('LOGOUT');
    await writer.command('LOGOUT');
  });

  it('UNSELECT keeps \\Deleted messages; CLOSE expunges them without a word; EXAMINE then CLOSE expunges nothing', async () => {
    const id = await mailbox('Closing', 3, (n) => (n === 2 ? ['\\Deleted'] : []));
    const s = await login();
    await s.command('SELECT Closing');
    expect(await s.command('UNSELECT')).toEqual(['T3 OK UNSELECT completed']);
    expect(await s.command('FETCH 1 (FLAGS)')).toEqual(['T4 BAD FETCH not allowed now']);
    expect((await g.messages.list(account, id)).map((m) => m.uid)).toEqual([1, 2, 3]);
    await s.command('EXAMINE Closing');
    expect(await s.command('CLOSE')).toEqual(['T6 OK CLOSE completed']);
    expect((await g.messages.list(account, id)).map((m) => m.uid)).toEqual([1, 2, 3]);
    await s.command('SELECT Closing');
    expect(await s.command('CLOSE')).toEqual(['T8 OK CLOSE completed']);
    expect((await g.messages.list(account, id)).map((m) => m.uid)).toEqual([1, 3]);
    expect(await s.command('STATUS Closing (MESSAGES)')).toEqual(['* STATUS Closing (MESSAGES 2)', 'T9 OK STATUS completed']);
    await s.command('LOGOUT');
  });

  it('answers ID with the gateway name and version, and ENABLE with the extensions it turned on', async () => {
    const { session: s } = await RawImapSession.open(server.port, { tls: true });
    const id = `* ID ("name" "LNMP Gateway" "version" "${VERSION}")`;
    expect(await s.command('ID ("name" "Thunderbird" "version" "128.0")')).toEqual([id, 'T1 OK ID completed']);
    expect(await s.command('ENABLE CONDSTORE')).toEqual(['T2 BAD ENABLE not allowed now']);
    await s.command(`LOGIN alice@example.test ${PASSWORD}`);
    expect(await s.command('ID NIL')).toEqual([id, 'T4 OK ID completed']);
    expect(await s.command('ENABLE CONDSTORE UTF8=ACCEPT X-UNKNOWN')).toEqual(['* ENABLED CONDSTORE UTF8=ACCEPT', 'T5 OK Extensions enabled']);
    expect(await s.command('ENABLE QRESYNC')).toEqual(['* ENABLED', 'T6 OK Success']);
    await s.command('LOGOUT');
  });

  it('GETQUOTAROOT and GETQUOTA report the account quota from the service, in KiB', async () => {
    const s = await login();
    await mailbox('Weighed', 2);
    const q = await g.messages.quota(account);
    const quota = `* QUOTA "" (STORAGE ${Math.ceil(q.usedBytes / 1024)} ${Math.ceil(q.limitBytes / 1024)})`;
    expect(q.usedBytes).toBeGreaterThan(0);
    expect(await s.command('GETQUOTAROOT Weighed')).toEqual(['* QUOTAROOT "Weighed" ""', quota, 'T2 OK Success']);
    expect(await s.command('GETQUOTA ""')).toEqual([quota, 'T3 OK Success']);
    expect(await s.command('GETQUOTAROOT Nowhere')).toEqual(['T4 NO [NONEXISTENT] GETQUOTAROOT completed']);
    expect(await s.command('GETQUOTA "other"')).toEqual(['T5 NO [NONEXISTENT] GETQUOTA completed']);
    await s.command('LOGOUT');
  });

  it('UTF8=ACCEPT: an APPEND with raw UTF-8 headers (plain and RFC 6855 literal) is fetched back byte for byte', async () => {
    await g.mailboxes.create(account, 'Unicode');
    const raw = Buffer.from('From: Jürgen Groß <jurgen@example.test>\r\nTo: Zoë <alice@example.test>\r\nSubject: Grüße aus Köln 日本語\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nÄpfel — ünïcödé.\r\n', 'utf8');
    const s = await login();
    expect(await s.command('ENABLE UTF8=ACCEPT')).toEqual(['* ENABLED UTF8=ACCEPT', 'T2 OK Extension enabled']);
    // Thunderbird: a plain literal carrying 8-bit bytes.
    s.write(`A1 APPEND Unicode (\\Seen) {${raw.length}}\r\n`);
    expect(await s.line()).toBe('+ Go ahead');
    s.write(`${raw.toString('latin1')}\r\n`);
    expect(await s.until('A1')).toEqual([expect.stringMatching(/^A1 OK \[APPENDUID \d+ 1\] APPEND completed$/)]);
    // RFC 6855: APPEND ... UTF8 (~{n}).
    s.write(`A2 APPEND Unicode UTF8 (~{${raw.length}}\r\n`);
    expect(await s.line()).toBe('+ Go ahead');
    s.write(`${raw.toString('latin1')})\r\n`);
    expect(await s.until('A2')).toEqual([expect.stringMatching(/^A2 OK \[APPENDUID \d+ 2\] APPEND completed$/)]);
    await s.command('EXAMINE Unicode');
    const body = `* 1 FETCH (UID 1 BODY[] {${raw.length}}\r\n${raw.toString('latin1')} FLAGS (\\Seen))`;
    expect((await s.command('UID FETCH 1 (UID BODY.PEEK[] FLAGS)')).join('\r\n')).toBe(`${body}\r\nT4 OK UID FETCH completed`);
    expect((await s.command('UID FETCH 2 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])')).join('\r\n')).toBe(
      `* 2 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {${Buffer.byteLength('Subject: Grüße aus Köln 日本語\r\n\r\n')}}\r\n${Buffer.from('Subject: Grüße aus Köln 日本語\r\n\r\n').toString('latin1')} UID 2)\r\nT5 OK UID FETCH completed`,
    );
    const [stored] = await g.messages.fetch(account, (await g.mailboxes.byName(account, 'Unicode')).id, [2]);
    expect(Buffer.compare(Buffer.from(stored!.raw), raw)).toBe(0);
    await s.command('LOGOUT');
  });

  it('COPY, then \\Deleted and EXPUNGE of the original, leaves the copy and its bytes intact', async () => {
    const from = await mailbox('Original', 2);
    const s = await login();
    await s.command('SELECT Original');
    expect(await s.command('UID COPY 1:2 Archive')).toEqual([expect.stringMatching(/^T3 OK \[COPYUID \d+ 1:2 1:2\] UID COPY completed$/)]);
    expect(await s.command('STORE 1:2 +FLAGS.SILENT (\\Deleted)')).toEqual(['T4 OK STORE completed']);
    expect(await s.command('EXPUNGE')).toEqual(['* 1 EXPUNGE', '* 1 EXPUNGE', 'T5 OK EXPUNGE completed']);
    expect(await g.messages.list(account, from)).toEqual([]);
    await s.command('EXAMINE Archive');
    expect(await s.command('FETCH 1:* (UID FLAGS BODY.PEEK[TEXT])')).toEqual([
      '* 1 FETCH (UID 1 FLAGS () BODY[TEXT] {9}',
      'Body 1.',
      ')',
      '* 2 FETCH (UID 2 FLAGS () BODY[TEXT] {9}',
      'Body 2.',
      ')',
      'T7 OK FETCH completed',
    ]);
    await s.command('LOGOUT');
  });
});
