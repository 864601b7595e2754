// Mailbox/get and /changes, Email/query, /get, /set and /changes over real HTTP against
// PostgreSQL, with jmap-jam as the client where it fits and the exact JSON of each answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UnlockedAccount } from '../../services/unlocked-account.js';
import { openJmapGateway, PASSWORD, type Jam, type JmapGateway } from '../../test/helpers/jmap-gateway.js';

let g: JmapGateway;
let jam: Jam;
let alice: UnlockedAccount;
let accountId: string;
const box: Record<string, number> = {};

const MESSAGES = [
  { date: '2024-03-01T10:00:00Z', raw: 'From: Bob <bob@example.test>\r\nTo: alice@example.test\r\nSubject: First\r\nMessage-ID: <m1@example.test>\r\nDate: Fri, 01 Mar 2024 10:00:00 +0000\r\n\r\nHello   Alice,\r\nthe first one.\r\n' },
  { date: '2024-03-02T10:00:00Z', raw: 'From: "Carol C." <carol@example.test>\r\nTo: Alice <alice@example.test>, dave@example.test\r\nSubject: =?UTF-8?Q?Caf=C3=A9?=\r\nMessage-ID: <m2@example.test>\r\nIn-Reply-To: <m1@example.test>\r\nReferences: <m1@example.test>\r\nDate: Sat, 02 Mar 2024 11:00:00 +0100\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nCafé crème, déjà vu.\r\n' },
  { date: '2024-03-03T10:00:00Z', raw: 'From: bob@example.test\r\nTo: alice@example.test\r\nSubject: Third\r\nMessage-ID: <m3@example.test>\r\nDate: Sun, 03 Mar 2024 10:00:00 +0000\r\n\r\nThird.\r\n' },
];
const uids: number[] = [];
/** The blob of each message: its Email id is `E<blob>`. */
const blobs: number[] = [];

beforeAll(async () => {
  g = await openJmapGateway();
  alice = await g.accounts.authenticate('alice@example.test', PASSWORD);
  for (const m of await g.mailboxes.list(alice)) box[m.name] = m.id;
  await g.mailboxes.create(alice, 'Projects');
  await g.mailboxes.create(alice, 'Projects/LNMP');
  for (const m of await g.mailboxes.list(alice)) box[m.name] = m.id;
  for (const m of MESSAGES) uids.push((await g.messages.append(alice, box['INBOX']!, Buffer.from(m.raw), { internalDate: new Date(m.date), flags: m === MESSAGES[0] ? ['\\Seen'] : [] })).uid);
  const rows = await g.messages.emailRows(alice, { mailboxId: box['INBOX']! });
  for (const uid of uids) blobs.push(rows.find((r) => r.uid === uid)!.blobId);
  jam = g.jam();
  accountId = g.alice.accountId;
});

afterAll(async () => {
  alice.lock();
  await g.dispose();
});

const E = (i: number) => `E${blobs[i]}`;
const M = (name: string) => `M${box[name]}`;
const rights = (role: string | null) => ({
  mayReadItems: true, mayAddItems: true, mayRemoveItems: true, maySetSeen: true, maySetKeywords: true, mayCreateChild: true,
  mayRename: role !== 'inbox', mayDelete: role === null, maySubmit: true,
});

async function state(): Promise<string> {
  const [r] = await jam.request(['Email/get', { accountId, ids: [], properties: ['id'] }]);
  return r['state'] as string;
}

describe('Mailbox/get', () => {
  it('lists every mailbox with roles, the Screener without one, a tree from "/" names, counts and rights', async () => {
    const [r] = await jam.request(['Mailbox/get', { accountId }]);
    const mb = (name: string, role: string | null, sortOrder: number, extra: Record<string, unknown> = {}) => ({
      id: M(name), name, parentId: null, role, sortOrder, totalEmails: 0, unreadEmails: 0, totalThreads: 0, unreadThreads: 0, myRights: rights(role), isSubscribed: true, ...extra,
    });
    expect(r).toEqual({
      accountId,
      state: expect.stringMatching(/^\d+$/),
      list: [
        mb('INBOX', 'inbox', 1, { totalEmails: 3, unreadEmails: 2, totalThreads: 2, unreadThreads: 2 }),
        mb('Archive', 'archive', 6),
        mb('Drafts', 'drafts', 3),
        mb('Junk', 'junk', 5),
        mb('Projects', null, 100),
        { ...mb('Projects/LNMP', null, 100), name: 'LNMP', parentId: M('Projects') },
        { ...mb('Screener', null, 7), myRights: rights('screener') },
        mb('Sent', 'sent', 2),
        mb('Trash', 'trash', 4),
      ],
      notFound: [],
    });
  });

  it('returns the properties asked for, and notFound for unknown and foreign ids', async () => {
    const [r] = await jam.request(['Mailbox/get', { accountId, ids: [M('Sent'), 'M999999', 'x'], properties: ['name', 'role'] }]);
    expect(r).toEqual({ accountId, state: expect.any(String), list: [{ id: M('Sent'), name: 'Sent', role: 'sent' }], notFound: ['M999999', 'x'] });
  });
});

describe('Email/query and Email/get', () => {
  it('lists a mailbox newest first with position, limit and total, and gets those Emails by reference', async () => {
    const [r] = await jam.requestMany((t) => {
      const query = t['Email']!['query']!({ accountId, filter: { inMailbox: M('INBOX') }, sort: [{ property: 'receivedAt', isAscending: false }], position: 1, limit: 1, calculateTotal: true });
      const get = t['Email']!['get']!({ accountId, ids: query.$ref('/ids'), properties: ['subject', 'receivedAt'] });
      return { query, get };
    });
    expect(r['query']).toEqual({ accountId, queryState: expect.stringMatching(/^\d+$/), canCalculateChanges: true, position: 1, ids: [E(1)], total: 3 });
    expect(r['get']).toEqual({ accountId, state: r['query']!['queryState'], list: [{ id: E(1), subject: 'Café', receivedAt: '2024-03-02T10:00:00Z' }], notFound: [] });
  });

  it('sorts ascending, counts from the end for a negative position, answers an anchor, and is empty for an unknown mailbox', async () => {
    const [asc] = await jam.request(['Email/query', { accountId, filter: { inMailbox: M('INBOX') }, sort: [{ property: 'receivedAt', isAscending: true }] }]);
    expect(asc['ids']).toEqual([E(0), E(1), E(2)]);
    const [last] = await jam.request(['Email/query', { accountId, filter: { inMailbox: M('INBOX') }, position: -1 }]);
    expect({ position: last['position'], ids: last['ids'] }).toEqual({ position: 2, ids: [E(0)] });
    const [anchored] = await jam.request(['Email/query', { accountId, anchor: E(1), anchorOffset: -1, limit: 2 }]);
    expect({ position: anchored['position'], ids: anchored['ids'] }).toEqual({ position: 0, ids: [E(2), E(1)] });
    const [none] = await jam.request(['Email/query', { accountId, filter: { inMailbox: 'M999999' }, calculateTotal: true }]);
    expect({ ids: none['ids'], total: none['total'] }).toEqual({ ids: [], total: 0 });
  });

  it('answers a position past the end with the total as position, and says when the limit was lowered', async () => {
    const [past] = await jam.request(['Email/query', { accountId, filter: { inMailbox: M('INBOX') }, position: 10 }]);
    expect({ position: past['position'], ids: past['ids'], total: past['total'] }).toEqual({ position: 3, ids: [], total: undefined });
    const [capped] = await jam.request(['Email/query', { accountId, filter: { inMailbox: M('INBOX') }, position: 1, limit: 5000, calculateTotal: true }]);
    expect({ position: capped['position'], ids: capped['ids'], total: capped['total'], limit: capped['limit'] }).toEqual({ position: 1, ids: [E(1), E(0)], total: 3, limit: 1000 });
  });

  it('gets every default property, with the text body value when asked', async () => {
    const [r] = await jam.request(['Email/get', { accountId, ids: [E(1), 'E999999999', 'nope'], fetchTextBodyValues: true }]);
    const size = Buffer.byteLength(MESSAGES[1]!.raw);
    expect(r).toEqual({
      accountId,
      state: expect.any(String),
      list: [{
        id: E(1),
        blobId: `B${blobs[1]}`,
        threadId: expect.stringMatching(/^T\d+$/),
        mailboxIds: { [M('INBOX')]: true },
        keywords: {},
        size,
        receivedAt: '2024-03-02T10:00:00Z',
        messageId: ['m2@example.test'],
        inReplyTo: ['m1@example.test'],
        references: ['m1@example.test'],
        sender: null,
        from: [{ name: 'Carol C.', email: 'carol@example.test' }],
        to: [{ name: 'Alice', email: 'alice@example.test' }, { name: null, email: 'dave@example.test' }],
        cc: null,
        bcc: null,
        replyTo: null,
        subject: 'Café',
        sentAt: '2024-03-02T10:00:00Z',
        hasAttachment: false,
        preview: 'Café crème, déjà vu.',
        bodyValues: { 1: { value: 'Café crème, déjà vu.\n', isEncodingProblem: false, isTruncated: false } },
        // The one text/plain part is the text and the HTML body; its size is its decoded octets, CRLF included.
        textBody: [{ partId: '1', blobId: `B${blobs[1]}_1`, size: 26, name: null, type: 'text/plain', charset: 'utf-8', disposition: null, cid: null, language: null, location: null }],
        htmlBody: [{ partId: '1', blobId: `B${blobs[1]}_1`, size: 26, name: null, type: 'text/plain', charset: 'utf-8', disposition: null, cid: null, language: null, location: null }],
        attachments: [],
      }],
      notFound: ['E999999999', 'nope'],
    });
  });

  it('threads a reply with the message it answers, and cuts body values at maxBodyValueBytes without splitting a character', async () => {
    const [r] = await jam.request(['Email/get', { accountId, ids: [E(0), E(1), E(2)], properties: ['threadId', 'preview', 'bodyValues'], fetchAllBodyValues: true, maxBodyValueBytes: 4 }]);
    const list = r['list'] as Array<Record<string, unknown>>;
    expect(list[0]!['threadId']).toBe(list[1]!['threadId']);
    expect(list[2]!['threadId']).not.toBe(list[0]!['threadId']);
    expect(list.map((e) => [e['preview'], e['bodyValues']])).toEqual([
      ['Hello Alice, the first one.', { 1: { value: 'Hell', isEncodingProblem: false, isTruncated: true } }],
      ['Café crème, déjà vu.', { 1: { value: 'Caf', isEncodingProblem: false, isTruncated: true } }],
      ['Third.', { 1: { value: 'Thir', isEncodingProblem: false, isTruncated: true } }],
    ]);
  });

  it("does not show another user's Emails: bob's ids are notFound", async () => {
    const bob = await g.accounts.authenticate('bob@example.test', PASSWORD);
    const inbox = (await g.mailboxes.list(bob)).find((m) => m.role === 'inbox')!;
    const uid = (await g.messages.append(bob, inbox.id, Buffer.from('Subject: private\r\n\r\nsecret\r\n'))).uid;
    const [row] = await g.messages.listByUid(bob, inbox.id, [uid]);
    const id = `E${(await g.messages.emailRows(bob, { mailboxId: inbox.id })).find((r) => r.id === row!.id)!.blobId}`;
    bob.lock();
    const [r] = await jam.request(['Email/get', { accountId, ids: [id] }]);
    expect(r['list']).toEqual([]);
    expect(r['notFound']).toEqual([id]);
  });
});

describe('Email/set and the /changes methods', () => {
  it('sets keywords whole and by patch; the flags are what IMAP sees', async () => {
    const before = await state();
    const [r] = await jam.request(['Email/set', { accountId, ifInState: before, update: { [E(1)]: { keywords: { $seen: true, $Flagged: true, Work: true } }, [E(2)]: { 'keywords/$answered': true } } }]);
    const after = await state();
    expect(r).toEqual({ accountId, oldState: before, newState: after, created: null, updated: { [E(1)]: null, [E(2)]: null }, destroyed: null, notCreated: null, notUpdated: null, notDestroyed: null });
    const [p] = await jam.request(['Email/set', { accountId, update: { [E(1)]: { 'keywords/$flagged': null } } }]);
    expect(p['updated']).toEqual({ [E(1)]: null });
    expect((await g.messages.listByUid(alice, box['INBOX']!, [uids[1]!, uids[2]!])).map((m) => m.flags)).toEqual([['\\Seen', 'work'], ['\\Answered']]);
    const [got] = await jam.request(['Email/get', { accountId, ids: [E(1), E(2)], properties: ['keywords'] }]);
    expect(got['list']).toEqual([{ id: E(1), keywords: { $seen: true, work: true } }, { id: E(2), keywords: { $answered: true } }]);
    const [changes] = await jam.request(['Email/changes', { accountId, sinceState: before }]);
    expect(changes).toEqual({ accountId, oldState: before, newState: await state(), hasMoreChanges: false, created: [], updated: [E(2), E(1)], destroyed: [] });
  });

  it('refuses bad updates per Email: unknown ids, bad keywords, other properties, no or unknown mailboxes, invalid patches; a create setting its id', async () => {
    const [r] = await jam.request(['Email/set', {
      accountId,
      create: { k1: { mailboxIds: { [M('INBOX')]: true }, id: 'E1' } },
      update: {
        'E999999999': { 'keywords/$seen': true },
        [E(0)]: { keywords: { 'bad keyword': true } },
        [E(1)]: { subject: 'x' },
        [E(2)]: { mailboxIds: {} },
        [`E${box['INBOX']}-999`]: { keywords: {} },
      },
    }]);
    expect(r).toMatchObject({
      created: null,
      updated: null,
      notCreated: { k1: { type: 'invalidProperties', properties: ['id'], description: 'Unrecognized key: "id"' } },
      notUpdated: {
        'E999999999': { type: 'notFound' },
        [E(0)]: { type: 'invalidProperties', properties: ['keywords'] },
        [E(1)]: { type: 'invalidProperties', properties: ['subject'], description: 'subject cannot be changed here' },
        [E(2)]: { type: 'invalidProperties', properties: ['mailboxIds'], description: 'an Email is in at least one mailbox, each existing' },
        [`E${box['INBOX']}-999`]: { type: 'notFound' },
      },
    });
    const [u] = await jam.request(['Email/set', { accountId, update: { [E(2)]: { [`mailboxIds/${M('INBOX')}`]: null, 'mailboxIds/M999999999': true } } }]);
    expect(u['notUpdated']).toEqual({ [E(2)]: { type: 'invalidProperties', properties: ['mailboxIds'], description: 'an Email is in at least one mailbox, each existing' } });
    const [p] = await jam.request(['Email/set', { accountId, update: { [E(0)]: { keywords: {}, 'keywords/$seen': true } } }]);
    expect(p['notUpdated']).toEqual({ [E(0)]: { type: 'invalidPatch', description: 'keywords/$seen patches keywords, which is also set whole' } });
  });

  it('moves an Email by mailboxIds: the same id in the new mailbox; Email/changes shows it updated, Mailbox/changes both mailboxes', async () => {
    const before = await state();
    const [r] = await jam.request(['Email/set', { accountId, update: { [E(2)]: { [`mailboxIds/${M('INBOX')}`]: null, [`mailboxIds/${M('Archive')}`]: true } } }]);
    expect(r['updated']).toEqual({ [E(2)]: null });
    const [q] = await jam.request(['Email/query', { accountId, filter: { inMailbox: M('Archive') } }]);
    expect(q['ids']).toEqual([E(2)]);
    const [got] = await jam.request(['Email/get', { accountId, ids: [E(2)], properties: ['mailboxIds', 'keywords', 'subject'] }]);
    expect(got['list']).toEqual([{ id: E(2), mailboxIds: { [M('Archive')]: true }, keywords: { $answered: true }, subject: 'Third' }]);
    const now = await state();
    const [ec] = await jam.request(['Email/changes', { accountId, sinceState: before }]);
    expect(ec).toEqual({ accountId, oldState: before, newState: now, hasMoreChanges: false, created: [], updated: [E(2)], destroyed: [] });
    const [mc] = await jam.request(['Mailbox/changes', { accountId, sinceState: before }]);
    expect(mc).toEqual({
      accountId, oldState: before, newState: now, hasMoreChanges: false, created: [], updated: [M('Archive'), M('INBOX')].sort(), destroyed: [],
      updatedProperties: ['totalEmails', 'unreadEmails', 'totalThreads', 'unreadThreads'],
    });
  });

  it('reports mailbox changes of their own with updatedProperties null, and pages /changes with maxChanges', async () => {
    const before = await state();
    const created = await g.mailboxes.create(alice, 'Receipts');
    await g.mailboxes.setSubscribed(alice, box['Junk']!, false);
    await g.messages.store(alice, box['INBOX']!, [uids[0]!], 'add', ['$Important']);
    const [all] = await jam.request(['Mailbox/changes', { accountId, sinceState: before }]);
    expect(all).toEqual({ accountId, oldState: before, newState: await state(), hasMoreChanges: false, created: [`M${created.id}`], updated: [M('Junk'), M('INBOX')], destroyed: [], updatedProperties: null });
    const [first] = await jam.request(['Mailbox/changes', { accountId, sinceState: before, maxChanges: 1 }]);
    expect(first).toEqual({ accountId, oldState: before, newState: String(Number(before) + 1), hasMoreChanges: true, created: [`M${created.id}`], updated: [], destroyed: [], updatedProperties: null });
    const [rest] = await jam.request(['Mailbox/changes', { accountId, sinceState: first['newState'], maxChanges: 5 }]);
    expect(rest).toMatchObject({ hasMoreChanges: false, created: [], updated: [M('Junk'), M('INBOX')] });
  });

  it('destroys an Email; it is gone from the mailbox and in Email/changes', async () => {
    const before = await state();
    const [r] = await jam.request(['Email/set', { accountId, destroy: [E(0), 'E999999999'], update: { [E(0)]: { 'keywords/$seen': true } } }]);
    expect(r).toMatchObject({ destroyed: [E(0)], notDestroyed: { 'E999999999': { type: 'notFound' } }, notUpdated: { [E(0)]: { type: 'willDestroy' } } });
    expect(await g.messages.listByUid(alice, box['INBOX']!, [uids[0]!])).toEqual([]);
    const [ec] = await jam.request(['Email/changes', { accountId, sinceState: before }]);
    expect(ec).toMatchObject({ created: [], updated: [], destroyed: [E(0)] });
  });
});
