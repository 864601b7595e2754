// Mailbox/set over real HTTP with a real IMAP session on the same PostgreSQL mailbox: creates
// (with creation-id parents), renames and moves (children follow), subscriptions and destroys,
// each SetError exact; IMAP LIST sees what JMAP made and JMAP Mailbox/changes what IMAP made.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImapFlow } from 'imapflow';
import type { UnlockedAccount } from '../../services/unlocked-account.js';
import { openImapGateway, PASSWORD, type ImapGateway } from '../../test/helpers/imap-gateway.js';
import { startJmapHttp, type Jam, type JmapHttp } from '../../test/helpers/jmap-gateway.js';

let imap: ImapGateway;
let http: JmapHttp;
let jam: Jam;
let client: ImapFlow;
let alice: UnlockedAccount;
let accountId: string;
const box: Record<string, string> = {};

const RIGHTS = { mayReadItems: true, mayAddItems: true, mayRemoveItems: true, maySetSeen: true, maySetKeywords: true, mayCreateChild: true, mayRename: true, mayDelete: true, maySubmit: true };

beforeAll(async () => {
  imap = await openImapGateway();
  const port = (await imap.start({ implicitTls: true })).port;
  http = await startJmapHttp(imap);
  alice = await imap.accounts.authenticate('alice@example.test', PASSWORD);
  for (const m of await imap.mailboxes.list(alice)) box[m.name] = `M${m.id}`;
  jam = http.jam();
  accountId = `A${imap.alice.userId}`;
  client = await imap.client(port);
});

afterAll(async () => {
  await client.logout();
  alice.lock();
  await http.close();
  await imap.dispose();
});

async function set(args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const [r] = await jam.request(['Mailbox/set', { accountId, ...args }]);
  return r;
}

async function state(): Promise<string> {
  const [r] = await jam.request(['Mailbox/get', { accountId, ids: [] }]);
  return r['state'] as string;
}

/** IMAP LIST: every folder path, and whether it is subscribed. */
async function folders(): Promise<Record<string, boolean>> {
  const list = await client.list();
  return Object.fromEntries(list.map((f) => [f.path, f.subscribed === true]));
}

const invalid = (property: string, description: string) => ({ type: 'invalidProperties', properties: [property], description });

describe('Mailbox/set create', () => {
  it('creates a mailbox and a child named by creation id, whatever their order; IMAP lists both', async () => {
    const before = await state();
    const r = await set({ create: { child: { name: '2025', parentId: '#trips', isSubscribed: false }, trips: { name: 'Trips' } } });
    const trips = (r['created'] as Record<string, { id: string }>)['trips']!.id;
    const child = (r['created'] as Record<string, { id: string }>)['child']!.id;
    expect(r).toEqual({
      accountId, oldState: before, newState: String(Number(before) + 2),
      created: {
        trips: { id: trips, parentId: null, role: null, sortOrder: 100, isSubscribed: true, totalEmails: 0, unreadEmails: 0, totalThreads: 0, unreadThreads: 0, myRights: RIGHTS },
        child: { id: child, role: null, sortOrder: 100, totalEmails: 0, unreadEmails: 0, totalThreads: 0, unreadThreads: 0, myRights: RIGHTS },
      },
      updated: null, destroyed: null, notCreated: null, notUpdated: null, notDestroyed: null,
    });
    box['Trips'] = trips;
    box['Trips/2025'] = child;
    const [get] = await jam.request(['Mailbox/get', { accountId, ids: [child], properties: ['name', 'parentId', 'isSubscribed'] }]);
    expect(get['list']).toEqual([{ id: child, name: '2025', parentId: trips, isSubscribed: false }]);
    expect(await folders()).toMatchObject({ Trips: true, 'Trips/2025': false });
    const [changes] = await jam.request(['Mailbox/changes', { accountId, sinceState: before }]);
    expect(changes).toMatchObject({ created: [trips, child], updated: [], destroyed: [] });
  });

  it.each([
    ['an empty name', { name: '' }, invalid('name', 'Too small: expected string to have >=1 characters')],
    ['a name with the separator', { name: 'a/b' }, invalid('name', 'a name cannot contain "/"')],
    ['a name that exists', { name: 'Trips' }, invalid('name', 'mailbox "Trips" exists')],
    ['no name', { parentId: null }, invalid('name', 'Invalid input: expected string, received undefined')],
    ['a role that is taken', { name: 'Bin', role: 'trash' }, invalid('role', 'the trash mailbox exists')],
    ['a role this server does not have', { name: 'Gate', role: 'screener' }, invalid('role', 'screener is not a role this server supports (inbox, sent, drafts, trash, junk, archive)')],
    ['a sortOrder other than the role gives', { name: 'Sorted', sortOrder: 5 }, invalid('sortOrder', 'sortOrder is not stored: it follows the role, 100 for this mailbox')],
    ['an unknown parent', { name: 'Orphan', parentId: 'M999999' }, invalid('parentId', 'no mailbox M999999')],
    ['an unknown creation id as parent', { name: 'Orphan', parentId: '#nope' }, invalid('parentId', 'no mailbox #nope')],
    ['a server-set property', { name: 'Counted', totalEmails: 3 }, invalid('totalEmails', 'Unrecognized key: "totalEmails"')],
  ])('refuses %s', async (_name, object, error) => {
    const r = await set({ create: { x: object } });
    expect(r['notCreated']).toEqual({ x: error });
    expect(r['created']).toBeNull();
  });

  it('refuses a stale ifInState with stateMismatch', async () => {
    const r = await http.post({ using: ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail'], methodCalls: [['Mailbox/set', { accountId, ifInState: '1', create: { x: { name: 'Late' } } }, 's']] });
    expect((r.json as { methodResponses: unknown[] }).methodResponses).toEqual([['error', { type: 'stateMismatch' }, 's']]);
  });
});

describe('Mailbox/set update', () => {
  it('renames, moves under another mailbox with its children, and unsubscribes; IMAP and Mailbox/changes see it', async () => {
    const before = await state();
    const r = await set({
      create: { j: { name: 'Journeys' } },
      update: { [box['Trips']!]: { name: 'Holidays', parentId: '#j' }, [box['Archive']!]: { isSubscribed: false } },
    });
    const journeys = (r['created'] as Record<string, { id: string }>)['j']!.id;
    expect(r).toMatchObject({ updated: { [box['Trips']!]: null, [box['Archive']!]: null }, notUpdated: null });
    expect(await folders()).toMatchObject({ 'Journeys/Holidays': true, 'Journeys/Holidays/2025': false, Archive: false });
    expect(Object.keys(await folders())).not.toContain('Trips');
    const [get] = await jam.request(['Mailbox/get', { accountId, ids: [box['Trips']!, box['Trips/2025']!], properties: ['name', 'parentId'] }]);
    expect(get['list']).toEqual([{ id: box['Trips'], name: 'Holidays', parentId: journeys }, { id: box['Trips/2025'], name: '2025', parentId: box['Trips'] }]);
    const [changes] = await jam.request(['Mailbox/changes', { accountId, sinceState: before }]);
    expect(changes).toMatchObject({ created: [journeys], updated: [box['Trips'], box['Trips/2025'], box['Archive']], destroyed: [], updatedProperties: null });
    box['Journeys'] = journeys;
  });

  it.each([
    ['an unknown id', 'M999999', { name: 'X' }, { type: 'notFound' }],
    ['INBOX renamed', 'INBOX', { name: 'Post' }, { type: 'forbidden', description: 'INBOX cannot be renamed' }],
    ['a role changed', 'Archive', { role: 'trash' }, invalid('role', 'the role of a mailbox cannot change')],
    ['a move under itself', 'Journeys', { parentId: 'Trips/2025' }, invalid('parentId', 'a mailbox cannot move under itself')],
    ['a name taken', 'Journeys', { name: 'Archive' }, invalid('name', 'mailbox "Archive" exists')],
    ['a bad value', 'Journeys', { isSubscribed: 'yes' }, invalid('isSubscribed', 'Invalid input: expected boolean, received string')],
  ])('refuses %s', async (_name, which, patch, error) => {
    const id = box[which] ?? which;
    const resolved = Object.fromEntries(Object.entries(patch).map(([k, v]) => [k, k === 'parentId' ? box[v as string] : v]));
    const r = await set({ update: { [id]: resolved } });
    expect(r['notUpdated']).toEqual({ [id]: error });
  });

  it('refuses to update a mailbox destroyed in the same call (willDestroy)', async () => {
    const r = await set({ update: { [box['Trips/2025']!]: { name: 'x' } }, destroy: [box['Trips/2025']!] });
    expect(r).toMatchObject({ notUpdated: { [box['Trips/2025']!]: { type: 'willDestroy' } }, destroyed: [box['Trips/2025']] });
  });
});

describe('Mailbox/set destroy', () => {
  it('refuses role mailboxes, mailboxes with children or Emails, unknown ids', async () => {
    await imap.messages.append(alice, Number(box['Trips']!.slice(1)), Buffer.from('Subject: kept\r\n\r\nkept\r\n'));
    const r = await set({ destroy: [box['INBOX']!, box['Journeys']!, box['Trips']!, 'M999999'] });
    expect(r).toMatchObject({
      destroyed: null,
      notDestroyed: {
        [box['INBOX']!]: { type: 'forbidden', description: 'the INBOX mailbox has a role and cannot be destroyed' },
        [box['Journeys']!]: { type: 'mailboxHasChild', description: 'Journeys has child mailboxes' },
        [box['Trips']!]: { type: 'mailboxHasEmail', description: 'Journeys/Holidays holds a message; destroy with onDestroyRemoveEmails to remove them' },
        M999999: { type: 'notFound' },
      },
    });
  });

  it('destroys a parent with its child and their Emails with onDestroyRemoveEmails; IMAP no longer lists them', async () => {
    const before = await state();
    const r = await set({ destroy: [box['Journeys']!, box['Trips']!], onDestroyRemoveEmails: true });
    expect(r).toMatchObject({ destroyed: [box['Trips'], box['Journeys']], notDestroyed: null });
    expect(Object.keys(await folders()).filter((p) => p.startsWith('Journeys'))).toEqual([]);
    const [changes] = await jam.request(['Mailbox/changes', { accountId, sinceState: before }]);
    expect(changes).toMatchObject({ created: [], destroyed: [box['Trips'], box['Journeys']] });
  });
});

describe('IMAP to JMAP', () => {
  it('a folder IMAP creates is created in Mailbox/changes and Mailbox/get', async () => {
    const before = await state();
    await client.mailboxCreate('From IMAP');
    const [changes] = await jam.request(['Mailbox/changes', { accountId, sinceState: before }]);
    const created = changes['created'] as string[];
    expect(created).toHaveLength(1);
    const [get] = await jam.request(['Mailbox/get', { accountId, ids: created, properties: ['name', 'parentId', 'role'] }]);
    expect(get['list']).toEqual([{ id: created[0], name: 'From IMAP', parentId: null, role: null }]);
  });
});
