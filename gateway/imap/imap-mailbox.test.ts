// IMAP over the sealed mailbox, with imapflow (and a raw client where the exact lines
// matter) over real TLS sockets and a real PostgreSQL schema: LIST with special-use, mailbox
// management, SELECT, APPEND then FETCH byte-exact, sections, STORE and EXPUNGE seen by a
// second session (in IDLE), MOVE with COPYUID, SEARCH.
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openImapGateway, PASSWORD, type ImapGateway } from '../../test/helpers/imap-gateway.js';
import { RawImapSession } from '../../test/helpers/imap-session.js';
import type { ImapListener } from './imap-server.js';

let g: ImapGateway;
let server: ImapListener;

const CORPUS: Record<string, Buffer> = {
  plain: Buffer.from(
    'From: Bob <bob@example.test>\r\nTo: alice@example.test\r\nSubject: plain words\r\nDate: Fri, 06 Jun 2025 07:08:00 +0000\r\nMessage-ID: <plain@example.test>\r\n\r\nHello Alice,\r\nthe zebra word is here.\r\n',
  ),
  alternative: Buffer.from(
    [
      'From: Bob <bob@example.test>',
      'To: alice@example.test',
      'Subject: with attachment',
      'Date: Sat, 07 Jun 2025 08:00:00 +0200',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="outer"',
      '',
      'This is the preamble.',
      '--outer',
      'Content-Type: multipart/alternative; boundary=inner',
      '',
      '--inner',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'plain part',
      '--inner',
      'Content-Type: text/html; charset=utf-8',
      '',
      '<p>html part</p>',
      '--inner--',
      '--outer',
      'Content-Type: application/octet-stream; name="a.bin"',
      'Content-Disposition: attachment; filename="a.bin"',
      'Content-Transfer-Encoding: base64',
      '',
      'AAECAwQFBgcICQ==',
      '--outer--',
      'epilogue',
      '',
    ].join('\r\n'),
  ),
  utf8Headers: Buffer.from('From: Jürgen <jurgen@example.test>\r\nTo: alice@example.test\r\nSubject: Größe 日本\r\nDate: Sun, 08 Jun 2025 09:00:00 +0000\r\n\r\nText.\r\n', 'utf8'),
  eightBit: Buffer.from(
    'From: bob@example.test\r\nTo: alice@example.test\r\nSubject: eight bit\r\nDate: Mon, 09 Jun 2025 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGrüße aus Köln — ünïcödé\r\n',
    'utf8',
  ),
};

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

/** Appends the message to a fresh mailbox of alice and returns its UID. */
async function appendTo(client: ImapFlow, path: string, message: Buffer, flags: string[] = []): Promise<number> {
  const res = await client.append(path, message, flags);
  if (!res || res.uid === undefined) throw new Error('no APPENDUID');
  return res.uid;
}

describe('IMAP mailboxes', () => {
  it('LIST shows the default mailboxes with their special-use attributes and the Screener; LSUB follows SUBSCRIBE', async () => {
    const s = await raw();
    expect(await s.command('LIST "" "*"')).toEqual([
      '* LIST (\\HasNoChildren) "/" "INBOX"',
      '* LIST (\\HasNoChildren \\Archive) "/" "Archive"',
      '* LIST (\\HasNoChildren \\Drafts) "/" "Drafts"',
      '* LIST (\\HasNoChildren \\Junk) "/" "Junk"',
      '* LIST (\\HasNoChildren) "/" "Screener"',
      '* LIST (\\HasNoChildren \\Sent) "/" "Sent"',
      '* LIST (\\HasNoChildren \\Trash) "/" "Trash"',
      'T2 OK LIST completed',
    ]);
    expect(await s.command('LIST (SPECIAL-USE) "" "*"')).toEqual([
      '* LIST (\\HasNoChildren \\Archive) "/" "Archive"',
      '* LIST (\\HasNoChildren \\Drafts) "/" "Drafts"',
      '* LIST (\\HasNoChildren \\Junk) "/" "Junk"',
      '* LIST (\\HasNoChildren \\Sent) "/" "Sent"',
      '* LIST (\\HasNoChildren \\Trash) "/" "Trash"',
      'T3 OK LIST completed',
    ]);
    expect((await s.command('UNSUBSCRIBE Junk')).at(-1)).toBe('T4 OK UNSUBSCRIBE completed');
    expect(await s.command('LSUB "" "J*"')).toEqual(['T5 OK LSUB completed']);
    expect((await s.command('SUBSCRIBE Junk')).at(-1)).toBe('T6 OK SUBSCRIBE completed');
    expect(await s.command('LSUB "" "J*"')).toEqual(['* LSUB (\\HasNoChildren) "/" "Junk"', 'T7 OK LSUB completed']);
    expect(await s.command('NAMESPACE')).toEqual(['* NAMESPACE (("" "/")) NIL NIL', 'T8 OK NAMESPACE completed']);
    await s.command('LOGOUT');
  });

  it('CREATE, RENAME and DELETE a mailbox (sealed names, UTF-7 on the wire); roles cannot be deleted', async () => {
    const s = await raw();
    expect((await s.command('CREATE "Projects/K&APY-ln"')).at(-1)).toBe('T2 OK CREATE completed');
    expect((await s.command('CREATE "Projects/K&APY-ln"')).at(-1)).toBe('T3 NO [ALREADYEXISTS] CREATE completed');
    expect(await s.command('LIST "" "Projects*"')).toEqual(['* LIST (\\HasNoChildren) "/" "Projects/K&APY-ln"', '* LIST (\\Noselect \\HasChildren) "/" "Projects"', 'T4 OK LIST completed']);
    expect((await s.command('RENAME "Projects/K&APY-ln" Cologne')).at(-1)).toBe('T5 OK RENAME completed');
    expect(await s.command('STATUS Cologne (MESSAGES UIDNEXT UNSEEN)')).toEqual(['* STATUS Cologne (MESSAGES 0 UIDNEXT 1 UNSEEN 0)', 'T6 OK STATUS completed']);
    expect((await s.command('DELETE Cologne')).at(-1)).toBe('T7 OK DELETE completed');
    expect((await s.command('DELETE Cologne')).at(-1)).toBe('T8 NO [NONEXISTENT] DELETE completed');
    expect((await s.command('DELETE Trash')).at(-1)).toBe('T9 NO [CANNOT] DELETE completed');
    expect((await s.command('SELECT Nowhere')).at(-1)).toBe('T10 NO [NONEXISTENT] SELECT completed');
    // The mailbox name is not in the database in clear.
    const rows = await g.t.db.query<{ name_sealed: Uint8Array }>('SELECT name_sealed FROM mailboxes WHERE user_id = $1', [g.alice.userId]);
    expect(rows.some((r) => Buffer.from(r.name_sealed).includes('Cologne'))).toBe(false);
    await s.command('LOGOUT');
  });

  it('SELECT reports counts, keywords in use and a stable UIDVALIDITY; APPEND answers APPENDUID', async () => {
    const client = await g.client(server.port);
    await client.mailboxCreate('Counts');
    const first = await appendTo(client, 'Counts', CORPUS.plain!, ['\\Seen']);
    const second = await appendTo(client, 'Counts', CORPUS.eightBit!, ['$Important']);
    expect([first, second]).toEqual([1, 2]);
    await client.logout();
    const [mb] = await g.t.db.query<{ uidvalidity: number }>('SELECT m.uidvalidity FROM mailboxes m WHERE m.user_id = $1 AND m.uidnext = 3', [g.alice.userId]);
    const s = await raw();
    const select = await s.command('SELECT Counts');
    expect(select).toEqual([
      '* FLAGS (\\Answered \\Flagged \\Draft \\Deleted \\Seen $Important)',
      '* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Draft \\Deleted \\Seen $Important \\*)] Flags permitted',
      `* OK [UIDVALIDITY ${mb!.uidvalidity}] UIDs valid`,
      '* 2 EXISTS',
      '* 0 RECENT',
      expect.stringMatching(/^\* OK \[HIGHESTMODSEQ \d+\] Highest$/),
      '* OK [UIDNEXT 3] Predicted next UID',
      'T2 OK [READ-WRITE] SELECT completed',
    ]);
    expect((await s.command('EXAMINE Counts')).filter((l) => l.includes('UIDVALIDITY') || l.startsWith('T3'))).toEqual([
      `* OK [UIDVALIDITY ${mb!.uidvalidity}] UIDs valid`,
      'T3 OK [READ-ONLY] EXAMINE completed',
    ]);
    await s.command('LOGOUT');
  });

  it('FETCH BODY[] returns exactly the appended bytes for each message of the corpus', async () => {
    const client = await g.client(server.port);
    await client.mailboxCreate('Corpus');
    const uids: Record<string, number> = {};
    for (const [name, message] of Object.entries(CORPUS)) uids[name] = await appendTo(client, 'Corpus', message);
    await client.mailboxOpen('Corpus');
    for (const [name, message] of Object.entries(CORPUS)) {
      const msg = await client.fetchOne(String(uids[name]), { source: true, size: true, flags: true }, { uid: true });
      expect(msg && Buffer.compare(msg.source!, message), name).toBe(0);
      expect(msg && msg.size, name).toBe(message.length);
    }
    // imapflow reads with BODY.PEEK[]: nothing was marked \Seen. BODY[] without PEEK marks it.
    const s = await raw();
    await s.command('SELECT Corpus');
    expect(await s.command('FETCH 1:2 (FLAGS)')).toEqual(['* 1 FETCH (FLAGS ())', '* 2 FETCH (FLAGS ())', 'T3 OK FETCH completed']);
    expect(await s.command('FETCH 2 (BODY[1.1])')).toEqual(['* 2 FETCH (BODY[1.1] {10}', 'plain part FLAGS (\\Seen))', 'T4 OK FETCH completed']);
    expect(await s.command('FETCH 1:2 (FLAGS)')).toEqual(['* 1 FETCH (FLAGS ())', '* 2 FETCH (FLAGS (\\Seen))', 'T5 OK FETCH completed']);
    await s.command('LOGOUT');
  });

  it('FETCH sections, partials, ENVELOPE and BODYSTRUCTURE of a multipart message', async () => {
    const client = await g.client(server.port);
    await client.mailboxCreate('Parts');
    const uid = await appendTo(client, 'Parts', CORPUS.alternative!);
    await client.mailboxOpen('Parts');
    const msg = await client.fetchOne(String(uid), { envelope: true, bodyStructure: true, bodyParts: ['1.1', '1.2', '2', '2.mime', 'text'] }, { uid: true });
    const part = (k: string) => msg && msg.bodyParts!.get(k)!.toString('latin1');
    expect(part('1.1')).toBe('plain part');
    expect(part('1.2')).toBe('<p>html part</p>');
    expect(part('2')).toBe('AAECAwQFBgcICQ==');
    expect(part('2.mime')).toBe('Content-Type: application/octet-stream; name="a.bin"\r\nContent-Disposition: attachment; filename="a.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n');
    expect(part('text')).toBe(CORPUS.alternative!.toString('latin1').split('\r\n\r\n').slice(1).join('\r\n\r\n'));
    expect(msg && msg.envelope).toMatchObject({ subject: 'with attachment', from: [{ name: 'Bob', address: 'bob@example.test' }], to: [{ address: 'alice@example.test' }] });
    expect(msg && msg.bodyStructure).toMatchObject({
      type: 'multipart/mixed',
      childNodes: [
        { type: 'multipart/alternative', childNodes: [{ part: '1.1', type: 'text/plain', size: 10 }, { part: '1.2', type: 'text/html', size: 16 }] },
        { part: '2', type: 'application/octet-stream', encoding: 'base64', size: 16, disposition: 'attachment' },
      ],
    });
    const s = await raw();
    await s.command('EXAMINE Parts');
    expect(await s.command(`UID FETCH ${uid} (BODY.PEEK[HEADER.FIELDS (Subject FROM)] BODY.PEEK[]<6.10>)`)).toEqual([
      '* 1 FETCH (BODY[HEADER.FIELDS (Subject FROM)] {58}',
      'From: Bob <bob@example.test>',
      'Subject: with attachment',
      '',
      ' BODY[]<6> {10}',
      'Bob <bob@e UID 1)',
      'T3 OK UID FETCH completed',
    ]);
    await s.command('LOGOUT');
  });
});

describe('IMAP changes across sessions', () => {
  it('a STORE in one session reaches another session in IDLE; a new keyword is announced with FLAGS', async () => {
    const writer = await g.client(server.port);
    await writer.mailboxCreate('Shared');
    await appendTo(writer, 'Shared', CORPUS.plain!);
    await appendTo(writer, 'Shared', CORPUS.eightBit!);
    const watcher = await g.client(server.port);
    await watcher.mailboxOpen('Shared');
    const seen: Array<{ uid?: number; flags: string[] }> = [];
    watcher.on('flags', (e: { uid?: number; flags: Set<string> }) => seen.push({ flags: [...e.flags].sort(), ...(e.uid ? { uid: e.uid } : {}) }));
    void watcher.idle().catch(() => {});
    const s = await raw();
    await s.command('SELECT Shared');
    expect(await s.command('UID STORE 2 +FLAGS ($Later \\Flagged)')).toEqual([
      '* FLAGS (\\Answered \\Flagged \\Draft \\Deleted \\Seen $Later)',
      '* 2 FETCH (UID 2 FLAGS ($Later \\Flagged))',
      'T3 OK UID STORE completed',
    ]);
    await expect.poll(() => seen, { timeout: 1000, interval: 20 }).toEqual([{ flags: ['$Later', '\\Flagged'] }]);
    await s.command('LOGOUT');
  });

  it('EXPUNGE in one session is seen by another in IDLE within a second; new mail arrives as EXISTS', async () => {
    const writer = await g.client(server.port);
    await writer.mailboxCreate('Gone');
    for (let i = 0; i < 3; i++) await appendTo(writer, 'Gone', CORPUS.plain!);
    const watcher = await g.client(server.port);
    await watcher.mailboxOpen('Gone');
    const events: string[] = [];
    watcher.on('expunge', (e: { seq: number }) => events.push(`expunge ${e.seq}`));
    watcher.on('exists', (e: { count: number }) => events.push(`exists ${e.count}`));
    void watcher.idle().catch(() => {});
    await writer.mailboxOpen('Gone');
    await writer.messageFlagsAdd('2', ['\\Deleted'], { uid: true });
    await writer.messageDelete('2', { uid: true });
    await expect.poll(() => events, { timeout: 1000, interval: 20 }).toEqual(['expunge 2']);
    await writer.append('Gone', CORPUS.eightBit!);
    await expect.poll(() => events, { timeout: 1000, interval: 20 }).toEqual(['expunge 2', 'exists 3']);
    const uids = [];
    for await (const m of watcher.fetch('1:*', { uid: true })) uids.push(m.uid);
    expect(uids).toEqual([1, 3, 4]);
  });

  it('MOVE answers COPYUID and EXPUNGE; the moved message keeps its bytes and flags', async () => {
    const client = await g.client(server.port);
    await client.mailboxCreate('From');
    await appendTo(client, 'From', CORPUS.plain!, ['$Keep']);
    await appendTo(client, 'From', CORPUS.utf8Headers!, ['\\Flagged']);
    await client.mailboxOpen('From');
    const moved = await client.messageMove('2', 'Archive', { uid: true });
    expect(moved && [...moved.uidMap!.entries()]).toEqual([[2, 1]]);
    expect(client.mailbox && client.mailbox.exists).toBe(1);
    await client.mailboxOpen('Archive');
    const msg = await client.fetchOne('1', { source: true, flags: true }, { uid: true });
    expect(msg && Buffer.compare(msg.source!, CORPUS.utf8Headers!)).toBe(0);
    expect(msg && [...msg.flags!]).toEqual(['\\Flagged']);
    const copied = await client.messageCopy('1', 'Trash', { uid: true });
    expect(copied && copied.uidValidity).toBeGreaterThan(0);
    expect(copied && [...copied.uidMap!.entries()]).toEqual([[1, 1]]);
  });

  it('SEARCH and UID SEARCH: text, body, header, flags, keywords, sizes, dates, OR and NOT', async () => {
    const client = await g.client(server.port);
    await client.mailboxCreate('Find');
    await appendTo(client, 'Find', CORPUS.plain!, ['\\Seen']);
    await appendTo(client, 'Find', CORPUS.alternative!);
    await appendTo(client, 'Find', CORPUS.utf8Headers!, ['$Work']);
    await appendTo(client, 'Find', CORPUS.eightBit!, ['\\Flagged']);
    await client.mailboxOpen('Find');
    const search = (q: Record<string, unknown>) => client.search(q, { uid: true });
    expect(await search({ body: 'zebra' })).toEqual([1]);
    expect(await search({ text: 'html part' })).toEqual([2]);
    expect(await search({ subject: 'größe' })).toEqual([3]);
    expect(await search({ from: 'bob@example.test' })).toEqual([1, 2, 4]);
    expect(await search({ seen: false })).toEqual([2, 3, 4]);
    expect(await search({ keyword: '$Work' })).toEqual([3]);
    expect(await search({ or: [{ flagged: true }, { keyword: '$Work' }] })).toEqual([3, 4]);
    expect(await search({ not: { from: 'bob' } })).toEqual([3]);
    expect(await search({ larger: 500 })).toEqual([2]);
    expect(await search({ sentBefore: new Date('2025-06-08T00:00:00Z') })).toEqual([1, 2]);
    expect(await search({ uid: '2:3', seen: false })).toEqual([2, 3]);
    const s = await raw();
    await s.command('EXAMINE Find');
    expect(await s.command('SEARCH CHARSET UTF-8 BODY zebra')).toEqual(['* SEARCH 1', 'T3 OK SEARCH completed']);
    expect((await s.command('SEARCH CHARSET KOI8-R BODY zebra')).at(-1)).toBe('T4 NO [BADCHARSET] SEARCH completed');
    expect((await s.command('SEARCH FROBNICATE')).at(-1)).toBe('T5 BAD Unknown search term FROBNICATE');
    await s.command('LOGOUT');
  });
});
