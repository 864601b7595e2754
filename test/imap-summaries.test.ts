// Sealed message summaries (migration 015) over IMAPS and a real PostgreSQL schema: header-only
// FETCH items (ENVELOPE, BODY.PEEK[HEADER], HEADER.FIELDS, HEADER.FIELDS.NOT with a partial,
// RFC822.HEADER) answered from the summary are byte-identical to the same items fetched with
// BODY.PEEK[] (the whole-message path) for the real-world corpus; APPEND, re-wrap and Email/import
// store a summary that is not clear text; a blob without one still answers and gets it stored
// back; readSummaries keeps to the user's own blobs and summaries.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { summarize } from '../converters/message-summary.js';
import type { ImapListener } from '../gateway/imap/imap-server.js';
import { BlobService } from '../services/blob-service.js';
import { openSummary, sealSummary } from '../services/message-crypto.js';
import { ServiceError } from '../services/errors.js';
import { systemRng } from '../services/random.js';
import type { UnlockedAccount } from '../services/unlocked-account.js';
import { openImapGateway, PASSWORD, type ImapGateway } from './helpers/imap-gateway.js';
import { RawImapSession } from './helpers/imap-session.js';

const CORPUS = new URL('./fixtures/mime-corpus/', import.meta.url).pathname;
const corpus = readdirSync(CORPUS).filter((f) => f.endsWith('.eml')).sort().map((name) => ({ name, raw: readFileSync(join(CORPUS, name)) }));

const HEADER_ITEMS = 'UID ENVELOPE BODY.PEEK[HEADER] BODY.PEEK[HEADER.FIELDS (From Subject)] BODY.PEEK[HEADER.FIELDS.NOT (Subject)]<0.20> RFC822.HEADER';

let g: ImapGateway;
let server: ImapListener;
let alice: UnlockedAccount;
let bob: UnlockedAccount;

beforeAll(async () => {
  g = await openImapGateway();
  server = await g.start({ implicitTls: true });
  alice = await g.accounts.authenticate('alice@example.test', PASSWORD);
  bob = await g.accounts.authenticate('bob@example.test', PASSWORD);
});

afterAll(async () => {
  alice.lock();
  bob.lock();
  await g.dispose();
});

async function login(): Promise<RawImapSession> {
  const { session } = await RawImapSession.open(server.port, { tls: true });
  await session.command(`LOGIN alice@example.test ${PASSWORD}`);
  return session;
}

/** The untagged responses of a command as the bytes (latin1) the server sent, and its tagged line. */
async function untagged(session: RawImapSession, command: string): Promise<{ bytes: string; tagged: string }> {
  const lines = await session.command(command);
  return { bytes: lines.slice(0, -1).map((l) => `${l}\r\n`).join(''), tagged: lines.at(-1)! };
}

async function summaryStored(blobId: number): Promise<{ seal: number; stored: boolean; summary: Uint8Array | null }> {
  const [row] = await g.t.db.query<{ seal: number; stored: boolean; summary: Uint8Array | null }>('SELECT seal, summary IS NOT NULL AS stored, summary FROM blobs WHERE id = $1', [blobId]);
  return row!;
}

async function blobOf(mailboxId: number, uid: number): Promise<number> {
  const [row] = await g.t.db.query<{ blob_id: number }>('SELECT blob_id FROM messages WHERE mailbox_id = $1 AND uid = $2', [mailboxId, uid]);
  return row!.blob_id;
}

/** The response to the header items with ` BODY[] {n}` and the message appended: what the whole-message path must give. */
function withBody(headerOnly: string, raw: Buffer): string {
  expect(headerOnly.endsWith(')\r\n')).toBe(true);
  return `${headerOnly.slice(0, -3)} BODY[] {${raw.length}}\r\n${raw.toString('latin1')})\r\n`;
}

describe('header-only FETCH from sealed summaries', () => {
  it('answers the header items byte-identically to the whole-message path, for every corpus message', async () => {
    const mb = await g.mailboxes.create(alice, 'Corpus');
    for (const { raw } of corpus) await g.messages.append(alice, mb.id, raw);
    const session = await login();
    await session.command('SELECT Corpus');
    for (let uid = 1; uid <= corpus.length; uid++) {
      const { name, raw } = corpus[uid - 1]!;
      const header = await untagged(session, `UID FETCH ${uid} (${HEADER_ITEMS})`);
      const full = await untagged(session, `UID FETCH ${uid} (${HEADER_ITEMS} BODY.PEEK[])`);
      expect(header.tagged, name).toMatch(/^T\d+ OK/);
      expect(full.bytes, name).toBe(withBody(header.bytes, raw));
    }
    // All at once (one batch of summaries) gives the same responses as one by one.
    const all = await untagged(session, `UID FETCH 1:* (${HEADER_ITEMS})`);
    const one = [];
    for (let uid = 1; uid <= corpus.length; uid++) one.push((await untagged(session, `UID FETCH ${uid} (${HEADER_ITEMS})`)).bytes);
    expect(all.bytes).toBe(one.join(''));
    session.end();
  });

  it('answers the same in a UTF8=ACCEPT session', async () => {
    const session = await login();
    await session.command('ENABLE UTF8=ACCEPT');
    await session.command('SELECT Corpus');
    for (let uid = 1; uid <= corpus.length; uid++) {
      const header = await untagged(session, `UID FETCH ${uid} (UID ENVELOPE)`);
      const full = await untagged(session, `UID FETCH ${uid} (UID ENVELOPE BODY.PEEK[])`);
      expect(full.bytes).toBe(withBody(header.bytes, corpus[uid - 1]!.raw));
    }
    session.end();
  });

  it('a non-PEEK BODY[HEADER] from the summary still sets \\Seen', async () => {
    const mb = await g.mailboxes.create(alice, 'Unseen');
    const raw = corpus[0]!.raw;
    await g.messages.append(alice, mb.id, raw);
    const session = await login();
    await session.command('SELECT Unseen');
    const reply = await untagged(session, 'UID FETCH 1 (UID BODY[HEADER])');
    const header = Buffer.from(summarize(raw).header).toString('latin1');
    expect(reply.bytes).toMatch(/^\* 1 FETCH \(UID 1 BODY\[HEADER\] \{\d+\}\r\n/);
    expect(reply.bytes).toContain(`{${header.length}}\r\n${header}`);
    expect(reply.bytes).toContain('FLAGS (\\Seen)');
    const [row] = await g.t.db.query<{ flags: string[] }>('SELECT flags FROM messages WHERE mailbox_id = $1 AND uid = 1', [mb.id]);
    expect(row!.flags).toEqual(['\\Seen']);
    session.end();
  });
});

describe('stored summaries', () => {
  it('APPEND over IMAP stores a sealed summary that does not hold the Subject in clear', async () => {
    const client = await g.client(server.port);
    const raw = Buffer.from('From: carol@example.org\r\nTo: alice@example.test\r\nSubject: Quarterly pineapple forecast\r\n\r\nBody words.\r\n');
    const appended = await client.append('INBOX', raw);
    const inbox = (await g.mailboxes.list(alice)).find((m) => m.role === 'inbox')!;
    const blobId = await blobOf(inbox.id, (appended as { uid: number }).uid);
    const stored = await summaryStored(blobId);
    expect(stored).toMatchObject({ seal: 2, stored: true });
    expect(Buffer.from(stored.summary!).includes('pineapple')).toBe(false);
    expect(openSummary(alice, alice.userId, stored.summary!)).toEqual({ header: new Uint8Array(summarize(raw).header), preview: 'Body words.', hasAttachment: false });
  });

  it('mail delivered while away has none until the re-wrap at login stores it', async () => {
    const raw = Buffer.from('From: dave@example.org\r\nTo: bob@example.test\r\nSubject: Secret walrus meeting\r\n\r\nSee you there.\r\n');
    const delivered = await g.messages.deliver({ userId: bob.userId, raw });
    const blobId = await blobOf(delivered.mailboxId, delivered.uid);
    expect(await summaryStored(blobId)).toMatchObject({ seal: 1, stored: false });
    expect(await g.messages.rewrapPending(bob)).toBe(1);
    const stored = await summaryStored(blobId);
    expect(stored).toMatchObject({ seal: 2, stored: true });
    expect(Buffer.from(stored.summary!).includes('walrus')).toBe(false);
    expect((await g.messages.readSummaries(bob, [blobId])).get(blobId)).toEqual({ header: new Uint8Array(summarize(raw).header), preview: 'See you there.', hasAttachment: false });
  });

  it('an upload has none until Email/import makes it a message, which stores it', async () => {
    const blobs = new BlobService(g.t.db, { rng: systemRng });
    const raw = corpus.find((c) => c.name === '02-alternative-qp.eml')!.raw;
    const { blobId } = await blobs.upload(alice, raw);
    expect(await summaryStored(blobId)).toMatchObject({ seal: 2, stored: false });
    const inbox = (await g.mailboxes.list(alice)).find((m) => m.role === 'inbox')!;
    await blobs.importMessage(alice, { blobId, mailboxIds: [inbox.id] });
    const stored = await summaryStored(blobId);
    expect(stored.stored).toBe(true);
    expect(openSummary(alice, alice.userId, stored.summary!)).toEqual({ ...summarize(raw), header: new Uint8Array(summarize(raw).header) });
  });

  it('a blob whose summary is NULL (stored before 015) answers ENVELOPE and gets its summary stored back', async () => {
    const mb = await g.mailboxes.create(alice, 'Old');
    const raw = corpus.find((c) => c.name === '03-mixed-attachment.eml')!.raw;
    await g.messages.append(alice, mb.id, raw);
    const blobId = await blobOf(mb.id, 1);
    await g.t.db.query('UPDATE blobs SET summary = NULL WHERE id = $1', [blobId]);
    const session = await login();
    await session.command('SELECT Old');
    const header = await untagged(session, 'UID FETCH 1 (UID ENVELOPE)');
    expect((await summaryStored(blobId)).stored).toBe(true);
    const full = await untagged(session, 'UID FETCH 1 (UID ENVELOPE BODY.PEEK[])');
    expect(full.bytes).toBe(withBody(header.bytes, raw));
    // The stored-back summary is the one summarize gives.
    expect((await g.messages.readSummaries(alice, [blobId])).get(blobId)).toEqual({ ...summarize(raw), header: new Uint8Array(summarize(raw).header) });
    session.end();
  });

  it('readSummaries: another user\'s blobs are left out; a summary moved from another user is replaced from the blob', async () => {
    const mb = await g.mailboxes.create(alice, 'Mine');
    const mine = await g.messages.append(alice, mb.id, corpus[1]!.raw);
    const bobsInbox = (await g.mailboxes.list(bob)).find((m) => m.role === 'inbox')!;
    const theirs = await g.messages.append(bob, bobsInbox.id, corpus[2]!.raw);
    const got = await g.messages.readSummaries(alice, [mine.blobId, theirs.blobId]);
    expect([...got.keys()]).toEqual([mine.blobId]);
    expect(got.get(mine.blobId)!.preview).toBe(summarize(corpus[1]!.raw).preview);

    // Bob's sealed summary does not open as Alice's: it is bound to its owner.
    const bobs = (await summaryStored(theirs.blobId)).summary!;
    const integrity = (open: () => unknown) => {
      try {
        open();
      } catch (err) {
        expect(err).toBeInstanceOf(ServiceError);
        return `${(err as ServiceError).code}: ${(err as Error).message}`;
      }
      return 'opened';
    };
    expect(integrity(() => openSummary(alice, alice.userId, bobs))).toBe(`integrity: summary:${alice.userId}: authentication failed`);
    // Even with the right key, a summary sealed for one user id does not open as another's.
    expect(integrity(() => openSummary(bob, alice.userId, sealSummary(bob, bob.userId, summarize(corpus[2]!.raw), systemRng)))).toBe(`integrity: summary:${alice.userId}: authentication failed`);
    await g.t.db.query('UPDATE blobs SET summary = $2 WHERE id = $1', [mine.blobId, bobs]);
    const again = await g.messages.readSummaries(alice, [mine.blobId]);
    expect(again.get(mine.blobId)!.preview).toBe(summarize(corpus[1]!.raw).preview);
    expect(openSummary(alice, alice.userId, (await summaryStored(mine.blobId)).summary!).preview).toBe(summarize(corpus[1]!.raw).preview);
  });
});
