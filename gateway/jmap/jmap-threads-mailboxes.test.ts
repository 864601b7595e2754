// Thread/get and /changes, Mailbox/query and /queryChanges, Identity/get and /changes, and
// Email ids by blob through Email/set mailboxIds, over real HTTP against PostgreSQL, with
// jmap-jam where it fits and the exact JSON of each answer and error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UnlockedAccount } from '../../services/unlocked-account.js';
import { openJmapGateway, PASSWORD, type Jam, type JmapGateway } from '../../test/helpers/jmap-gateway.js';

const CORE = 'urn:ietf:params:jmap:core';
const MAIL = 'urn:ietf:params:jmap:mail';
const SUBMISSION = 'urn:ietf:params:jmap:submission';

let g: JmapGateway;
let jam: Jam;
let alice: UnlockedAccount;
let accountId: string;
const box: Record<string, number> = {};
/** Email ids by message: E<blob>. */
const E: Record<string, string> = {};
let threadOf: Record<string, string> = {};

const MESSAGES = {
  first: { date: '2024-03-01T10:00:00Z', raw: 'From: bob@example.test\r\nSubject: First\r\nMessage-ID: <t1@example.test>\r\n\r\nOne.\r\n' },
  reply: { date: '2024-03-03T10:00:00Z', raw: 'From: carol@example.test\r\nSubject: Re: First\r\nMessage-ID: <t2@example.test>\r\nIn-Reply-To: <t1@example.test>\r\nReferences: <t1@example.test>\r\n\r\nTwo.\r\n' },
  early: { date: '2024-03-02T10:00:00Z', raw: 'From: dave@example.test\r\nSubject: Re: First\r\nMessage-ID: <t3@example.test>\r\nReferences: <t1@example.test>\r\n\r\nBetween.\r\n' },
  other: { date: '2024-03-04T10:00:00Z', raw: 'From: bob@example.test\r\nSubject: Other\r\nMessage-ID: <o1@example.test>\r\n\r\nElse.\r\n' },
};

beforeAll(async () => {
  g = await openJmapGateway();
  alice = await g.accounts.authenticate('alice@example.test', PASSWORD);
  await g.mailboxes.create(alice, 'Projects');
  await g.mailboxes.create(alice, 'Projects/LNMP');
  await g.mailboxes.create(alice, 'projects old');
  for (const m of await g.mailboxes.list(alice)) box[m.name] = m.id;
  await g.mailboxes.setSubscribed(alice, box['Junk']!, false);
  for (const [name, m] of Object.entries(MESSAGES)) {
    const stored = await g.messages.append(alice, box['INBOX']!, Buffer.from(m.raw), { internalDate: new Date(m.date) });
    const row = (await g.messages.emailRows(alice, { mailboxId: box['INBOX']! })).find((r) => r.id === stored.id)!;
    E[name] = `E${row.blobId}`;
    threadOf = { ...threadOf, [name]: `T${row.threadId}` };
  }
  jam = g.jam();
  accountId = g.alice.accountId;
});

afterAll(async () => {
  alice.lock();
  await g.dispose();
});

const M = (name: string) => `M${box[name]}`;

/** The method responses of one raw request of alice's. */
async function calls(using: string[], methodCalls: Array<[string, Record<string, unknown>, string]>): Promise<unknown[]> {
  const r = await g.post({ using, methodCalls });
  expect(r.status).toBe(200);
  return (r.json as { methodResponses: unknown[] }).methodResponses;
}

describe('Thread/get and Thread/changes', () => {
  it("returns a thread's Emails oldest first, and notFound for unknown, malformed and foreign ids", async () => {
    expect(threadOf['first']).toBe(threadOf['reply']);
    expect(threadOf['early']).toBe(threadOf['first']);
    expect(threadOf['other']).not.toBe(threadOf['first']);
    const bob = await g.accounts.authenticate('bob@example.test', PASSWORD);
    const bobInbox = (await g.mailboxes.list(bob)).find((m) => m.role === 'inbox')!.id;
    const bobMsg = await g.messages.append(bob, bobInbox, Buffer.from('Subject: bob\r\n\r\nprivate\r\n'));
    bob.lock();
    const foreign = `T${bobMsg.threadId}`;
    const [r] = await jam.request(['Thread/get', { accountId, ids: [threadOf['first']!, threadOf['other']!, 'T999999999', 'E1', foreign] }]);
    expect(r).toEqual({
      accountId,
      state: expect.stringMatching(/^\d+$/),
      list: [
        { id: threadOf['first'], emailIds: [E['first'], E['early'], E['reply']] },
        { id: threadOf['other'], emailIds: [E['other']] },
      ],
      notFound: ['T999999999', 'E1', foreign],
    });
    const [all] = await jam.request(['Thread/get', { accountId, ids: null, properties: ['id'] }]);
    expect((all['list'] as Array<{ id: string }>).map((t) => t.id).sort()).toEqual([threadOf['first'], threadOf['other']].sort());
  });

  it('follows Email/get threadId through a result reference', async () => {
    const [r] = await jam.requestMany((t) => {
      const emails = t['Email']!['get']!({ accountId, ids: [E['reply']], properties: ['threadId'] });
      return { emails, threads: t['Thread']!['get']!({ accountId, ids: emails.$ref('/list/*/threadId') }) };
    });
    expect(r['threads']!['list']).toEqual([{ id: threadOf['first'], emailIds: [E['first'], E['early'], E['reply']] }]);
  });

  it('answers Thread/changes for the current state, cannotCalculateChanges for an older one', async () => {
    const [t] = await jam.request(['Thread/get', { accountId, ids: [] }]);
    const state = t['state'] as string;
    const [same] = await jam.request(['Thread/changes', { accountId, sinceState: state }]);
    expect(same).toEqual({ accountId, oldState: state, newState: state, hasMoreChanges: false, created: [], updated: [], destroyed: [] });
    expect(await calls([CORE, MAIL], [['Thread/changes', { accountId, sinceState: '1' }, 'a'], ['Thread/changes', { accountId, sinceState: 'x' }, 'b']])).toEqual([
      ['error', { type: 'cannotCalculateChanges', description: 'thread changes are not journaled; get the Threads again' }, 'a'],
      ['error', { type: 'cannotCalculateChanges', description: '"x" is not a state of this account' }, 'b'],
    ]);
  });
});

describe('Mailbox/query and Mailbox/queryChanges', () => {
  const ids = async (args: Record<string, unknown>): Promise<string[]> => {
    const [r] = await jam.request(['Mailbox/query', { accountId, ...args }]);
    return r['ids'] as string[];
  };

  it('sorts by sortOrder then name, and by name descending', async () => {
    const [r] = await jam.request(['Mailbox/query', { accountId, sort: [{ property: 'sortOrder' }, { property: 'name' }], calculateTotal: true }]);
    expect(r).toEqual({
      accountId,
      queryState: expect.stringMatching(/^\d+$/),
      canCalculateChanges: false,
      position: 0,
      ids: [M('INBOX'), M('Sent'), M('Drafts'), M('Trash'), M('Junk'), M('Archive'), M('Screener'), M('Projects/LNMP'), M('Projects'), M('projects old')],
      total: 10,
    });
    expect(await ids({ sort: [{ property: 'name', isAscending: false }], limit: 3 })).toEqual([M('Trash'), M('Sent'), M('Screener')]);
  });

  it('filters by parentId, name, role, hasAnyRole and isSubscribed', async () => {
    const byName = [{ property: 'name' }];
    expect(await ids({ filter: { parentId: M('Projects') } })).toEqual([M('Projects/LNMP')]);
    expect(await ids({ filter: { parentId: null, hasAnyRole: false }, sort: byName })).toEqual([M('Projects'), M('projects old'), M('Screener')]);
    expect(await ids({ filter: { name: 'PROJ' }, sort: byName })).toEqual([M('Projects'), M('projects old')]);
    expect(await ids({ filter: { role: 'archive' } })).toEqual([M('Archive')]);
    expect(await ids({ filter: { hasAnyRole: true, isSubscribed: false } })).toEqual([M('Junk')]);
    expect(await ids({ filter: { role: null, name: 'lnmp' } })).toEqual([M('Projects/LNMP')]);
  });

  it('refuses wrong types, unknown filters and sorts with their exact errors', async () => {
    expect(await calls([CORE, MAIL], [
      ['Mailbox/query', { accountId, filter: { name: 3 } }, 'a'],
      ['Mailbox/query', { accountId, filter: { operator: 'OR', conditions: [] } }, 'b'],
      ['Mailbox/query', { accountId, sort: [{ property: 'totalEmails' }] }, 'c'],
      ['Mailbox/query', { accountId, sort: 'name' }, 'd'],
      ['Mailbox/query', { accountId, filter: { hasAnyRole: 'yes' } }, 'e'],
      ['Mailbox/query', { accountId: 'A999999' }, 'f'],
      ['Mailbox/query', { accountId, anchor: 'M999999' }, 'g'],
      ['Mailbox/query', { accountId, sort: [{ property: 'name', collation: 'i;octet' }] }, 'h'],
    ])).toEqual([
      ['error', { type: 'invalidArguments', description: 'filter/name: Invalid input: expected string, received number' }, 'a'],
      ['error', { type: 'unsupportedFilter', description: 'the filter operator is not supported' }, 'b'],
      ['error', { type: 'unsupportedSort', description: 'sorting by totalEmails is not supported' }, 'c'],
      ['error', { type: 'invalidArguments', description: 'sort: Invalid input: expected array, received string' }, 'd'],
      ['error', { type: 'invalidArguments', description: 'filter/hasAnyRole: Invalid input: expected boolean, received string' }, 'e'],
      ['error', { type: 'accountNotFound' }, 'f'],
      ['error', { type: 'anchorNotFound' }, 'g'],
      ['error', { type: 'unsupportedSort', description: 'the collation i;octet is not supported' }, 'h'],
    ]);
  });

  it('answers Mailbox/queryChanges for the current query state, cannotCalculateChanges for an older one', async () => {
    const [q] = await jam.request(['Mailbox/query', { accountId, filter: { hasAnyRole: true } }]);
    const since = q['queryState'] as string;
    const [same] = await jam.request(['Mailbox/queryChanges', { accountId, filter: { hasAnyRole: true }, sinceQueryState: since, calculateTotal: true }]);
    expect(same).toEqual({ accountId, oldQueryState: since, newQueryState: since, total: 6, removed: [], added: [] });
    expect(await calls([CORE, MAIL], [
      ['Mailbox/queryChanges', { accountId, sinceQueryState: '1' }, 'a'],
      ['Mailbox/queryChanges', { accountId, sinceQueryState: 1 }, 'b'],
    ])).toEqual([
      ['error', { type: 'cannotCalculateChanges', description: 'query changes are not kept; run Mailbox/query again' }, 'a'],
      ['error', { type: 'invalidArguments', description: 'sinceQueryState: Invalid input: expected string, received number' }, 'b'],
    ]);
  });
});

describe('Identity/get and Identity/changes', () => {
  it('has one identity: the primary address with an empty name', async () => {
    const [r] = await jam.request(['Identity/get', { accountId }]);
    const id = `I${g.alice.userId}`;
    expect(r).toEqual({
      accountId,
      state: expect.stringMatching(/^\d+$/),
      list: [{ id, name: '', email: 'alice@example.test', replyTo: null, bcc: null, textSignature: '', htmlSignature: '', mayDelete: false }],
      notFound: [],
    });
    const [some] = await jam.request(['Identity/get', { accountId, ids: [id, `I${g.bob.userId}`, 'x'], properties: ['email'] }]);
    expect(some).toMatchObject({ list: [{ id, email: 'alice@example.test' }], notFound: [`I${g.bob.userId}`, 'x'] });
    const [changes] = await jam.request(['Identity/changes', { accountId, sinceState: '0' }]);
    expect(changes).toEqual({ accountId, oldState: '0', newState: r['state'], hasMoreChanges: false, created: [], updated: [], destroyed: [] });
  });

  it('needs the submission capability, and refuses wrong types and other accounts', async () => {
    expect(await calls([CORE, MAIL], [['Identity/get', { accountId }, 'a']])).toEqual([['error', { type: 'unknownMethod', description: 'unknown method Identity/get' }, 'a']]);
    expect(await calls([CORE, SUBMISSION], [
      ['Identity/get', { accountId, ids: 'I1' }, 'a'],
      ['Identity/get', { accountId: g.bob.accountId }, 'b'],
      ['Identity/changes', { accountId, sinceState: '999999999' }, 'c'],
      ['Identity/get', { accountId, properties: ['signature'] }, 'd'],
    ])).toEqual([
      ['error', { type: 'invalidArguments', description: 'ids: Invalid input: expected array, received string' }, 'a'],
      ['error', { type: 'accountNotFound' }, 'b'],
      ['error', { type: 'cannotCalculateChanges', description: '"999999999" is not a state of this account' }, 'c'],
      ['error', { type: 'invalidArguments', description: 'unknown or unsupported property signature' }, 'd'],
    ]);
  });
});

describe('Email ids by blob through Email/set', () => {
  it('keeps the id when mailboxIds changes, adds a mailbox as a copy and removes one as an update', async () => {
    const id = E['other']!;
    const [before] = await jam.request(['Email/get', { accountId, ids: [id], properties: ['mailboxIds'] }]);
    const [moved] = await jam.request(['Email/set', { accountId, update: { [id]: { mailboxIds: { [M('Archive')]: true } } } }]);
    expect(moved['updated']).toEqual({ [id]: null });
    const [both] = await jam.request(['Email/set', { accountId, update: { [id]: { [`mailboxIds/${M('Projects')}`]: true } } }]);
    expect(both['updated']).toEqual({ [id]: null });
    const [got] = await jam.request(['Email/get', { accountId, ids: [id], properties: ['mailboxIds'] }]);
    expect(got['list']).toEqual([{ id, mailboxIds: { [M('Archive')]: true, [M('Projects')]: true } }]);
    expect((await g.messages.list(alice, box['Projects']!)).length).toBe(1);
    const [c] = await jam.request(['Email/changes', { accountId, sinceState: before['state'] }]);
    expect(c).toEqual({ accountId, oldState: before['state'], newState: got['state'], hasMoreChanges: false, created: [], updated: [id], destroyed: [] });

    const [kw] = await jam.request(['Email/set', { accountId, update: { [id]: { 'keywords/$flagged': true } } }]);
    expect(kw['updated']).toEqual({ [id]: null });
    const flags = [...(await g.messages.list(alice, box['Archive']!)), ...(await g.messages.list(alice, box['Projects']!))].map((m) => m.flags);
    expect(flags).toEqual([['\\Flagged'], ['\\Flagged']]);

    const [q] = await jam.request(['Email/query', { accountId, filter: { inMailbox: M('Projects') } }]);
    expect(q['ids']).toEqual([id]);
  });

  it("never touches or shows another user's Email: its id is notFound for Email/set and Email/query lists none of it", async () => {
    const bob = await g.accounts.authenticate('bob@example.test', PASSWORD);
    const bobInbox = (await g.mailboxes.list(bob)).find((m) => m.role === 'inbox')!.id;
    const stored = await g.messages.append(bob, bobInbox, Buffer.from('Subject: mine\r\n\r\nbob only\r\n'));
    const foreign = `E${(await g.messages.emailRows(bob, { mailboxId: bobInbox })).find((r) => r.id === stored.id)!.blobId}`;
    const [r] = await jam.request(['Email/set', { accountId, update: { [foreign]: { 'keywords/$seen': true, mailboxIds: { [M('INBOX')]: true } } }, destroy: [foreign] }]);
    expect(r).toMatchObject({ updated: null, destroyed: null, notUpdated: { [foreign]: { type: 'willDestroy' } }, notDestroyed: { [foreign]: { type: 'notFound' } } });
    const [u] = await jam.request(['Email/set', { accountId, update: { [foreign]: { 'keywords/$seen': true } } }]);
    expect(u['notUpdated']).toEqual({ [foreign]: { type: 'notFound' } });
    expect((await g.messages.listByUid(bob, bobInbox, [stored.uid])).map((m) => m.flags)).toEqual([[]]);
    const [q] = await jam.request(['Email/query', { accountId, filter: { inMailbox: `M${bobInbox}` }, calculateTotal: true }]);
    expect({ ids: q['ids'], total: q['total'] }).toEqual({ ids: [], total: 0 });
    const [t] = await jam.request(['Mailbox/query', { accountId, filter: { parentId: `M${bobInbox}` } }]);
    expect(t['ids']).toEqual([]);
    bob.lock();
    expect(await calls([CORE, MAIL, SUBMISSION], [
      ['Thread/changes', { accountId: g.bob.accountId, sinceState: '0' }, 'a'],
      ['Mailbox/queryChanges', { accountId: g.bob.accountId, sinceQueryState: '0' }, 'b'],
      ['Identity/changes', { accountId: g.bob.accountId, sinceState: '0' }, 'c'],
      ['Identity/changes', { accountId, sinceState: '0', maxChanges: 0 }, 'd'],
    ])).toEqual([
      ['error', { type: 'accountNotFound' }, 'a'],
      ['error', { type: 'accountNotFound' }, 'b'],
      ['error', { type: 'accountNotFound' }, 'c'],
      ['error', { type: 'invalidArguments', description: 'maxChanges: Too small: expected number to be >=1' }, 'd'],
    ]);
  });

  it('reports a new message as created, and refuses Thread/get and Email/get arguments of the wrong type', async () => {
    const [before] = await jam.request(['Email/get', { accountId, ids: [] }]);
    const stored = await g.messages.append(alice, box['Drafts']!, Buffer.from('Subject: new\r\n\r\nnew\r\n'));
    const blob = (await g.messages.emailRows(alice, { mailboxId: box['Drafts']! })).find((r) => r.id === stored.id)!.blobId;
    const [c] = await jam.request(['Email/changes', { accountId, sinceState: before['state'] }]);
    expect(c).toMatchObject({ created: [`E${blob}`], updated: [], destroyed: [] });
    expect(await calls([CORE, MAIL], [
      ['Thread/get', { accountId, ids: [1] }, 'a'],
      ['Thread/get', { accountId: 'A999999' }, 'b'],
      ['Thread/changes', { accountId, sinceState: 5 }, 'c'],
      ['Email/get', { accountId, ids: {} }, 'd'],
    ])).toEqual([
      ['error', { type: 'invalidArguments', description: 'ids/0: Invalid input: expected string, received number' }, 'a'],
      ['error', { type: 'accountNotFound' }, 'b'],
      ['error', { type: 'invalidArguments', description: 'sinceState: Invalid input: expected string, received number' }, 'c'],
      ['error', { type: 'invalidArguments', description: 'ids: Invalid input: expected array, received object' }, 'd'],
    ]);
  });
});
