// The session's search documents stay within their budget: least recently used dropped first,
// and a search over more mail than the budget holds finds the same messages, decrypting again
// what was dropped (counted as reads of the blob table on a real database).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb, type TestDb } from '../test/helpers/databases.js';
import type { Db } from '../storage/db.js';
import { AccountService } from './account-service.js';
import { MailboxService } from './mailbox-service.js';
import { SEARCH_CHUNK, MessageService } from './message-service.js';
import { readFileSync } from 'node:fs';
import { matches, SearchDocCache, toSearchDoc, type SearchCriterion, type SearchDoc } from './message-search.js';
import { systemRng } from './random.js';

const doc = (chars: number, tag = ''): SearchDoc => ({ header: tag, body: 'x'.repeat(chars - tag.length) });

const corpus = (name: string) => readFileSync(new URL(`../test/fixtures/mime-corpus/${name}`, import.meta.url));
const found = (raw: Uint8Array, criterion: SearchCriterion, needle: string) => matches(toSearchDoc(raw), criterion, needle);
const enc = new TextEncoder();

describe('search documents read the message as its parts are encoded', () => {
  it.each([
    ['quoted-printable text and HTML', '02-alternative-qp.eml', { field: 'body' }, 'Große Auswahl – jetzt', true],
    ['an encoded-word subject (UTF-8, Q)', '02-alternative-qp.eml', { field: 'header', name: 'subject' }, 'große auswahl', true],
    ['an encoded-word subject (ISO-8859-1, B)', '06-latin1-8bit.eml', { field: 'header', name: 'subject' }, 'Café crème', true],
    ['an 8-bit ISO-8859-1 body', '06-latin1-8bit.eml', { field: 'body' }, 'crème brûlée', true],
    ['an ISO-2022-JP body', '07-iso-2022-jp.eml', { field: 'text' }, 'ありがとう', true],
    ['HTML tags are not text', '02-alternative-qp.eml', { field: 'body' }, 'font-family', false],
    ['a base64 attachment is not text', '03-mixed-attachment.eml', { field: 'body' }, 'AAECAwQF', false],
    ['the text next to the attachment', '03-mixed-attachment.eml', { field: 'text' }, 'the report you asked for', true],
  ] as const)('%s', (_name, file, criterion, needle, expected) => {
    expect(found(corpus(file), criterion, needle)).toBe(expected);
  });

  it('finds a word of a base64 text part, which the raw text does not show', () => {
    const raw = enc.encode(`Subject: b64\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${Buffer.from('Meet me at the quokka enclosure').toString('base64')}\r\n`);
    expect(found(raw, { field: 'body' }, 'quokka')).toBe(true);
    expect(found(raw, { field: 'text' }, 'QUOKKA ENCLOSURE')).toBe(true);
  });

  it('reads an HTML-only body as text, and both alternatives of a multipart/alternative', () => {
    const htmlOnly = enc.encode('Subject: h\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Tickets for <b>Tuesday</b></p>\r\n');
    expect(toSearchDoc(htmlOnly).body).toBe('tickets for tuesday');
    const alternative = enc.encode(
      'Subject: a\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nplain words\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>html words</p>\r\n--b--\r\n',
    );
    expect(toSearchDoc(alternative).body).toBe('plain words\n\nhtml words');
  });

  it('reads the text part of a multipart whose closing boundary never comes', () => {
    expect(toSearchDoc(corpus('08-broken-mime.eml')).body).toBe('first part');
  });
});

describe('SearchDocCache', () => {
  it('keeps at most maxChars, dropping the least recently used first', () => {
    const cache = new SearchDocCache(100);
    cache.set(1, doc(40));
    cache.set(2, doc(40));
    expect(cache.get(1)).toEqual(doc(40));
    cache.set(3, doc(40));
    // 2 was used least recently.
    expect([cache.get(1) !== undefined, cache.get(2) !== undefined, cache.get(3) !== undefined]).toEqual([true, false, true]);
    expect(cache.chars).toBe(80);
  });

  it('replaces a document set again and keeps one larger than the budget alone', () => {
    const cache = new SearchDocCache(100);
    cache.set(1, doc(30));
    cache.set(1, doc(50, 'h'));
    expect(cache.chars).toBe(50);
    cache.set(2, doc(250));
    expect([cache.get(1), cache.get(2)]).toEqual([undefined, doc(250)]);
    expect(cache.chars).toBe(250);
  });
});

describe('search within the budget', () => {
  let t: TestDb;
  let blobReads = 0;
  let counted: Db;

  beforeAll(async () => {
    t = await openTestDb('postgres');
    counted = Object.assign(Object.create(t.db) as Db, {
      query: <R,>(sql: string, params?: readonly unknown[]): Promise<R[]> => {
        if (sql.startsWith('SELECT id, seal, data FROM blobs')) blobReads += 1;
        return t.db.query<R>(sql, params);
      },
    });
  });
  afterAll(() => t.dispose());

  it('finds the same messages with a budget smaller than the mailbox, decrypting the dropped ones again', async () => {
    const accounts = new AccountService(t.db, { rng: systemRng, kdf: { N: 1024, r: 8, p: 1 } });
    await accounts.addDomain('example.test');
    await accounts.createUser({ address: 'searcher@example.test', password: 'password123' });
    const s = await accounts.authenticate('searcher@example.test', 'password123');
    const inbox = await new MailboxService(t.db, { rng: systemRng }).byRole(s, 'inbox');
    const writer = new MessageService(t.db, { rng: systemRng });
    const count = SEARCH_CHUNK + 500;
    const body = 'lorem ipsum '.repeat(40);
    for (let i = 0; i < count; i++) {
      await writer.append(s, inbox.id, new TextEncoder().encode(`Subject: m${i}\r\n\r\n${i % 250 === 0 ? 'needle ' : ''}${body}\r\n`));
    }
    const expected = Array.from({ length: count }, (_, i) => i + 1).filter((uid) => (uid - 1) % 250 === 0);

    const roomy = new MessageService(counted, { rng: systemRng });
    blobReads = 0;
    expect(await roomy.search(s, inbox.id, { field: 'body' }, 'NEEDLE')).toEqual(expected);
    // Two chunks of the mailbox, read once each.
    expect(blobReads).toBe(2);
    expect(await roomy.search(s, inbox.id, { field: 'body' }, 'needle')).toEqual(expected);
    expect(blobReads).toBe(2);

    // Room for about 100 documents: every search decrypts nearly everything again.
    const tight = new MessageService(counted, { rng: systemRng, searchCacheChars: 100 * body.length });
    blobReads = 0;
    expect(await tight.search(s, inbox.id, { field: 'body' }, 'needle')).toEqual(expected);
    expect(await tight.search(s, inbox.id, { field: 'text' }, 'needle')).toEqual(expected);
    expect(blobReads).toBe(4);
  });
});
