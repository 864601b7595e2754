// The postage capability (urn:lnmp:params:jmap:postage) against a running gateway (embedded
// database, dev Lightning backend, strangers' mail through the MX): the Email `postage`
// property, Postage/get, /query, /changes and /set (accept settles held postage and marks the
// message read, reject refunds it and moves it to the Trash, accept on an unpaid case approves
// the sender as a friend), PostagePolicy/get and /set, Contact/query, /get and /set with the
// listing refused, and another account seeing none of it. IMAP sees every change.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, find, invoiceIn, message, PASSWORD, startPostageGateway, type PostageGateway } from '../../test/helpers/postage-gateway.js';
import { openEventStream, openJmapSocket } from '../../test/helpers/jmap-push-clients.js';

const POSTAGE = 'urn:lnmp:params:jmap:postage';
const USING = ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail', POSTAGE];
type Call = [string, Record<string, unknown>, string];

let g: PostageGateway;
let accountId = '';
let bobAccountId = '';

const basic = (user: string) => `Basic ${Buffer.from(`${user}:${PASSWORD}`).toString('base64')}`;

async function api(calls: Call[], opts: { user?: string; using?: string[] } = {}): Promise<Call[]> {
  const response = await fetch(`http://127.0.0.1:${g.gateway.httpPort}/jmap/api`, {
    method: 'POST',
    headers: { authorization: basic(opts.user ?? 'alice@example.test'), 'content-type': 'application/json' },
    body: JSON.stringify({ using: opts.using ?? USING, methodCalls: calls }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { methodResponses: Call[] }).methodResponses;
}

/** One call's answer (its name checked), as alice unless `user` says otherwise. */
async function call(name: string, args: Record<string, unknown>, opts: { user?: string; using?: string[]; answer?: string } = {}): Promise<Record<string, unknown>> {
  const [[answer, result]] = (await api([[name, { accountId: opts.user ? bobAccountId : accountId, ...args }, 'c']], opts)) as [Call];
  expect(answer, JSON.stringify(result)).toBe(opts.answer ?? name);
  return result;
}

async function session(user: string): Promise<Record<string, unknown>> {
  return (await (await fetch(`http://127.0.0.1:${g.gateway.httpPort}/.well-known/jmap`, { headers: { authorization: basic(user) } })).json()) as Record<string, unknown>;
}

/** A stranger's mail through the MX; resolves with its case once the invoice is out (the auto-reply's invoice too). */
async function strangerMail(sender: string, subject: string): Promise<{ caseId: string; bolt11: string; postage: Record<string, unknown> }> {
  const replies = g.remote.received.length;
  await g.send(sender, message(sender, subject));
  await g.remote.until(`the auto-reply to ${sender}`, () => g.remote.received.length > replies);
  const postage = await eventually(`the open case of ${sender}`, async () => ((await call('Postage/get', { ids: null }))['list'] as Array<Record<string, unknown>>).find((p) => p['sender'] === sender && p['state'] === 'open'));
  return { caseId: postage['id'] as string, bolt11: invoiceIn(g.remote.received.at(-1)!.data), postage };
}

async function paid(bolt11: string, caseId: string): Promise<void> {
  const result = await g.cli(['dev', 'pay', bolt11]);
  expect(result.code, result.err).toBe(0);
  await eventually('the payment held', async () => ((await call('Postage/get', { ids: [caseId], properties: ['state'] }))['list'] as Array<{ state: string }>)[0]!.state === 'held');
}

async function decide(caseId: string, action: string): Promise<Record<string, unknown>> {
  return call('Postage/set', { update: { [caseId]: { action } } });
}

async function standing(address: string): Promise<string | undefined> {
  const ids = (await call('Contact/query', { filter: { address } }))['ids'] as string[];
  if (ids.length === 0) return undefined;
  return ((await call('Contact/get', { ids }))['list'] as Array<{ class: string }>)[0]!.class;
}

async function inMailbox(mailbox: string, subject: string): Promise<{ uid: number; flags: Set<string> } | undefined> {
  const client = await g.imap();
  try {
    return await find(client, mailbox, subject);
  } finally {
    await client.logout();
  }
}

beforeAll(async () => {
  g = await startPostageGateway();
  const added = await g.cli(['user', 'add', 'bob@example.test', '--password-stdin'], `${PASSWORD}\n`);
  expect(added.code, added.err).toBe(0);
  accountId = ((await session('alice@example.test'))['primaryAccounts'] as Record<string, string>)[POSTAGE]!;
  bobAccountId = ((await session('bob@example.test'))['primaryAccounts'] as Record<string, string>)[POSTAGE]!;
}, 120_000);

afterAll(async () => {
  await g?.close();
});

describe('the postage capability', () => {
  it('is in the session with its account properties', async () => {
    const s = await session('alice@example.test');
    expect((s['capabilities'] as Record<string, unknown>)[POSTAGE]).toEqual({});
    expect(((s['accounts'] as Record<string, { accountCapabilities: Record<string, unknown> }>)[accountId]!).accountCapabilities[POSTAGE]).toEqual({
      pricesIn: 'sat', contactClasses: ['friend', 'acquaintance', 'blocked'], contactsListable: false,
    });
  });
});

describe('Postage and the Email postage property', () => {
  let caseId = '';
  let emailId = '';

  it('shows a held payment on its Email (only with the capability) and as a Postage object', async () => {
    const opened = await strangerMail('bob@sender.test', 'Paid pitch');
    caseId = opened.caseId;
    expect(opened.postage).toMatchObject({ state: 'open', amountSats: 100, priority: false, settleBy: null, sender: 'bob@sender.test', payUrl: expect.stringMatching(/^http:\/\/.+\/pay\/[A-Za-z0-9_-]{22}$/) });
    await paid(opened.bolt11, caseId);
    const [postage] = (await call('Postage/get', { ids: [caseId] }))['list'] as Array<Record<string, unknown>>;
    emailId = postage!['emailId'] as string;
    expect(Object.keys(postage!)).toEqual(['id', 'emailId', 'state', 'amountSats', 'priority', 'createdAt', 'expiresAt', 'settleBy', 'payUrl', 'sender']);
    expect(postage).toMatchObject({ id: caseId, emailId: expect.stringMatching(/^E\d+$/), state: 'held', amountSats: 100, sender: 'bob@sender.test', settleBy: expect.stringMatching(/Z$/) });
    const got = await call('Email/get', { ids: [emailId], properties: ['subject', 'keywords', 'postage'] });
    expect(got['list']).toEqual([{
      id: emailId, subject: 'Paid pitch', keywords: { $postage: true, '$postage-100': true },
      postage: { caseId, state: 'held', amountSats: 100, priority: false, expiresAt: postage!['expiresAt'], settleBy: postage!['settleBy'], payUrl: postage!['payUrl'] },
    }]);
    // Without the capability in `using`, the property is unknown.
    const without = await call('Email/get', { ids: [emailId], properties: ['postage'] }, { using: ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail'], answer: 'error' });
    expect(without).toEqual({ type: 'invalidArguments', description: 'unknown or unsupported property postage' });
  });

  it('gives null for an Email without a case, and finds cases by state and emailId', async () => {
    const inbox = ((await call('Mailbox/query', { filter: { role: 'inbox' } }))['ids'] as string[])[0]!;
    const ids = (await call('Email/query', { filter: { inMailbox: inbox } }))['ids'] as string[];
    expect(ids).toContain(emailId);
    const got = await call('Email/get', { ids: [...ids, 'E999999'], properties: ['postage'] });
    expect((got['list'] as Array<{ id: string; postage: unknown }>).find((e) => e.id === emailId)!.postage).toMatchObject({ caseId });
    expect(got['notFound']).toEqual(['E999999']);
    expect((await call('Postage/query', { filter: { state: 'held' } }))['ids']).toEqual([caseId]);
    expect((await call('Postage/query', { filter: { emailId } }))['ids']).toEqual([caseId]);
    expect((await call('Postage/query', { filter: { emailId: 'E999999' } }))['ids']).toEqual([]);
    expect(await call('Postage/query', { filter: { sender: 'bob@sender.test' } }, { answer: 'error' })).toEqual({ type: 'unsupportedFilter', description: 'Unrecognized key: "sender"' });
    expect(await call('Postage/query', { sort: [{ property: 'amountSats' }] }, { answer: 'error' })).toEqual({ type: 'unsupportedSort', description: 'Postage/query sorts by createdAt only' });
  });

  it('accept settles held postage as reading does: the message is \\Seen over IMAP and the sender an acquaintance', async () => {
    const before = (await call('Postage/get', { ids: [] }))['state'] as string;
    const result = await decide(caseId, 'accept');
    expect(result).toMatchObject({ oldState: before, updated: { [caseId]: { state: 'settled' } }, notUpdated: null });
    expect(result['newState']).not.toBe(before);
    const seen = await inMailbox('INBOX', 'Paid pitch');
    expect([...seen!.flags].sort()).toEqual(['$Postage', '$Postage-100', '\\Seen']);
    expect(await standing('bob@sender.test')).toBe('acquaintance');
    const cases = await g.cases();
    expect(cases.find((c) => `P${c.id}` === caseId)!.events.at(-1)).toMatchObject({ state: 'settled', reason: 'accepted by the recipient' });
    // Postage/changes: the current state has nothing new; an older one cannot be listed.
    expect(await call('Postage/changes', { sinceState: result['newState'] })).toMatchObject({ oldState: result['newState'], newState: result['newState'], created: [], updated: [], destroyed: [] });
    expect(await call('Postage/changes', { sinceState: before }, { answer: 'error' })).toEqual({
      type: 'cannotCalculateChanges', description: 'Postage changes are not listed: read the cases again with Postage/query and Postage/get',
    });
  });

  it('refuses to decide a case twice, to create or destroy cases, and an unknown action, each with its SetError', async () => {
    const result = await call('Postage/set', { create: { x: {} }, update: { [caseId]: { action: 'reject' }, P999999: { action: 'accept' }, E1: { action: 'accept' } }, destroy: [caseId] });
    expect(result['notUpdated']).toEqual({
      [caseId]: { type: 'forbidden', description: 'the case is settled: nothing is left to decide' },
      P999999: { type: 'notFound' },
      E1: { type: 'notFound' },
    });
    expect(result['notCreated']).toEqual({ x: { type: 'forbidden', description: 'postage cases are opened by deliveries' } });
    expect(result['notDestroyed']).toEqual({ [caseId]: { type: 'forbidden', description: 'postage cases are kept; decide one with update {"action": "accept" | "reject"}' } });
    const bad = await call('Postage/set', { update: { [caseId]: { action: 'keep' } } });
    expect(bad['notUpdated']).toEqual({ [caseId]: { type: 'invalidProperties', properties: ['action'], description: 'Invalid option: expected one of "accept"|"reject"' } });
    const readOnly = await call('Postage/set', { update: { [caseId]: { state: 'canceled' } } });
    expect(readOnly['notUpdated']).toEqual({ [caseId]: { type: 'invalidProperties', properties: ['state'], description: 'only "action" can be set: the other properties of a case are the server\'s' } });
  });

  it('reject cancels held postage (refund) and moves the message out of the INBOX into the Trash', async () => {
    const opened = await strangerMail('dave@sender.test', 'Refund me');
    await paid(opened.bolt11, opened.caseId);
    expect(await inMailbox('INBOX', 'Refund me')).toBeDefined();
    expect((await decide(opened.caseId, 'reject'))['updated']).toEqual({ [opened.caseId]: { state: 'canceled' } });
    expect(await inMailbox('INBOX', 'Refund me')).toBeUndefined();
    expect(await inMailbox('Trash', 'Refund me')).toBeDefined();
    const refunded = (await g.cases()).find((c) => `P${c.id}` === opened.caseId)!;
    expect(refunded.events.map((e) => e.state)).toEqual(['pending', 'open', 'held', 'canceled']);
    expect(refunded.events.at(-1)!.reason).toBe('rejected by the recipient; refunded');
    expect(await standing('dave@sender.test')).toBeUndefined();
  });

  it('accept on an unpaid case approves the sender as a friend: the invoice is withdrawn, the message in the INBOX, their next mail free', async () => {
    const opened = await strangerMail('erin@sender.test', 'Approve me');
    expect(await inMailbox('Screener', 'Approve me')).toBeDefined();
    expect((await decide(opened.caseId, 'accept'))['updated']).toEqual({ [opened.caseId]: { state: 'approved' } });
    expect(await inMailbox('Screener', 'Approve me')).toBeUndefined();
    expect(await inMailbox('INBOX', 'Approve me')).toBeDefined();
    expect(await standing('erin@sender.test')).toBe('friend');
    const late = await g.cli(['dev', 'pay', opened.bolt11]);
    expect([late.code, late.err]).toEqual([1, 'lnmp-gateway: the invoice was canceled\n']);
    await g.send('erin@sender.test', message('erin@sender.test', 'Second from a friend'));
    expect(await eventually('the friend in the INBOX', () => inMailbox('INBOX', 'Second from a friend'))).toBeDefined();
  });

  it('reject on an unpaid case withdraws the invoice and moves the message to the Trash', async () => {
    const opened = await strangerMail('frank@sender.test', 'Not wanted');
    expect((await decide(opened.caseId, 'reject'))['updated']).toEqual({ [opened.caseId]: { state: 'canceled' } });
    expect(await inMailbox('Screener', 'Not wanted')).toBeUndefined();
    expect(await inMailbox('Trash', 'Not wanted')).toBeDefined();
    const late = await g.cli(['dev', 'pay', opened.bolt11]);
    expect([late.code, late.err]).toEqual([1, 'lnmp-gateway: the invoice was canceled\n']);
  });
});

describe('PostagePolicy', () => {
  it('reads the defaults, sets and resets a price, and refuses a bad value with invalidProperties naming it', async () => {
    const got = await call('PostagePolicy/get', { ids: null });
    expect(got['list']).toEqual([{ id: 'singleton', strangerSats: 100, acquaintanceSats: 10, prioritySats: 1000, surgeUnread: 100, refundOnReply: false, autoReply: true }]);
    const set = await call('PostagePolicy/set', { ifInState: got['state'], update: { singleton: { strangerSats: 250, refundOnReply: true } } });
    expect(set).toMatchObject({ oldState: got['state'], updated: { singleton: null } });
    expect(set['newState']).not.toBe(got['state']);
    expect((await call('PostagePolicy/get', { ids: ['singleton'], properties: ['strangerSats', 'refundOnReply'] }))['list']).toEqual([{ id: 'singleton', strangerSats: 250, refundOnReply: true }]);
    expect(JSON.parse((await g.cli(['postage', 'show', 'alice@example.test', '--json'])).out)).toMatchObject({ policy: { strangerSats: 250, refundOnReply: true } });
    const bad = await call('PostagePolicy/set', { update: { singleton: { strangerSats: -1 }, other: { autoReply: false } }, create: { c: {} }, destroy: ['singleton'] });
    expect(bad['notUpdated']).toEqual({
      singleton: { type: 'invalidProperties', properties: ['strangerSats'], description: 'strangerSats: expected a whole number 0-100000000' },
      other: { type: 'notFound' },
    });
    expect(bad['notCreated']).toEqual({ c: { type: 'singleton', description: 'there is exactly one PostagePolicy, "singleton"' } });
    expect(bad['notDestroyed']).toEqual({ singleton: { type: 'singleton', description: 'there is exactly one PostagePolicy, "singleton"' } });
    expect((await call('PostagePolicy/set', { update: { singleton: { prioritySats: 0 } } }))['notUpdated']).toEqual({
      singleton: { type: 'invalidProperties', properties: ['prioritySats'], description: 'prioritySats: expected a whole number 1-100000000' },
    });
    expect((await call('PostagePolicy/set', { update: { singleton: { autoReply: 'yes' } } }))['notUpdated']).toEqual({
      singleton: { type: 'invalidProperties', properties: ['autoReply'], description: 'autoReply: expected true or false' },
    });
    expect((await call('PostagePolicy/set', { update: { singleton: { friendSats: 1 } } }))['notUpdated']).toEqual({
      singleton: { type: 'invalidProperties', properties: ['friendSats'], description: 'Unrecognized key: "friendSats"' },
    });
    expect(await call('PostagePolicy/set', { ifInState: got['state'], update: { singleton: { strangerSats: null } } }, { answer: 'error' })).toEqual({ type: 'stateMismatch' });
    await call('PostagePolicy/set', { update: { singleton: { strangerSats: null, refundOnReply: null } } });
    expect((await call('PostagePolicy/get', { properties: ['strangerSats', 'refundOnReply'] }))['list']).toEqual([{ id: 'singleton', strangerSats: 100, refundOnReply: false }]);
  });
});

describe('Contact', () => {
  it('creates, finds by exact address, reads, updates and destroys a contact; the CLI agrees', async () => {
    const created = await call('Contact/set', { create: { k: { address: 'Carol@Sender.test', class: 'friend' } } });
    const id = ((created['created'] as Record<string, { id: string }>)['k']!).id;
    expect(id).toMatch(/^C[A-Za-z0-9_-]{43}$/);
    expect((await call('Contact/query', { filter: { address: 'carol@sender.test' }, calculateTotal: true }))).toMatchObject({ ids: [id], total: 1, canCalculateChanges: false });
    expect((await call('Contact/get', { ids: [id, 'Cnope'], properties: ['id', 'address', 'class'] }))).toMatchObject({ list: [{ id, address: null, class: 'friend' }], notFound: ['Cnope'] });
    expect((await g.cli(['contacts', 'show', 'alice@example.test', 'carol@sender.test'])).out).toBe('carol@sender.test: friend\n');
    const again = await call('Contact/set', { create: { k2: { address: 'carol@sender.test', class: 'blocked' } } });
    expect(again['notCreated']).toEqual({ k2: { type: 'alreadyExists', existingId: id, description: 'there is a contact for this address' } });
    expect((await call('Contact/set', { update: { [id]: { class: 'blocked' } } }))['updated']).toEqual({ [id]: null });
    expect((await g.cli(['contacts', 'show', 'alice@example.test', 'carol@sender.test'])).out).toBe('carol@sender.test: blocked\n');
    expect((await call('Contact/set', { destroy: [id] }))['destroyed']).toEqual([id]);
    expect((await call('Contact/query', { filter: { address: 'carol@sender.test' } }))['ids']).toEqual([]);
    expect((await call('Contact/get', { ids: [id] }))['notFound']).toEqual([id]);
    expect((await call('Contact/set', { destroy: [id] }))['notDestroyed']).toEqual({ [id]: { type: 'notFound' } });
  });

  it('refuses to list contacts and refuses bad input with the exact error', async () => {
    const notListable = { type: 'unsupportedFilter', description: 'contacts are not listable: Contact/query takes exactly one filter, {"address": "<the exact address>"}' };
    expect(await call('Contact/query', {}, { answer: 'error' })).toEqual(notListable);
    expect(await call('Contact/query', { filter: { class: 'friend' } }, { answer: 'error' })).toEqual(notListable);
    expect(await call('Contact/query', { filter: { address: 'not an address' } }, { answer: 'error' })).toEqual({ type: 'unsupportedFilter', description: 'address: expected a mail address or lnmp-key:<64 hex digits>' });
    expect(await call('Contact/get', { ids: null }, { answer: 'error' })).toEqual({ type: 'invalidArguments', description: 'contacts are not listable: give the ids Contact/query or Contact/set returned' });
    const bad = await call('Contact/set', { create: { a: { address: 'x@y.test', class: 'enemy' }, b: { address: 'x@y.test' } } });
    expect(bad['notCreated']).toEqual({
      a: { type: 'invalidProperties', properties: ['class'], description: 'Invalid option: expected one of "friend"|"acquaintance"|"blocked"' },
      b: { type: 'invalidProperties', properties: ['class'], description: 'Invalid option: expected one of "friend"|"acquaintance"|"blocked"' },
    });
  });
});

describe('another account', () => {
  it('sees none of alice\'s cases or contacts: notFound everywhere, and its own empty policy', async () => {
    const alices = (await call('Postage/query', {}))['ids'] as string[];
    expect(alices.length).toBeGreaterThanOrEqual(4);
    const contact = ((await call('Contact/set', { create: { k: { address: 'zed@sender.test', class: 'friend' } } }))['created'] as Record<string, { id: string }>)['k']!.id;
    const bob = { user: 'bob@example.test' };
    expect(await call('Postage/get', { ids: alices }, bob)).toMatchObject({ list: [], notFound: alices });
    expect((await call('Postage/query', {}, bob))['ids']).toEqual([]);
    expect((await call('Postage/set', { update: { [alices[0]!]: { action: 'reject' } } }, bob))['notUpdated']).toEqual({ [alices[0]!]: { type: 'notFound' } });
    expect((await call('Contact/get', { ids: [contact] }, bob))['notFound']).toEqual([contact]);
    expect((await call('Contact/query', { filter: { address: 'zed@sender.test' } }, bob))['ids']).toEqual([]);
    expect((await call('Contact/set', { destroy: [contact] }, bob))['notDestroyed']).toEqual({ [contact]: { type: 'notFound' } });
    // Alice's account id in bob's request: accountNotFound.
    const [[name, result]] = (await api([['Postage/get', { accountId, ids: null }, 'c']], bob)) as [Call];
    expect([name, result]).toEqual(['error', { type: 'accountNotFound' }]);
  });
});

describe('push of the postage types', () => {
  const TYPES = ['Postage', 'PostagePolicy', 'Contact'];
  const stateOf = async (type: string) => (await call(`${type}/get`, { ids: [] }))['state'] as string;

  /** Takes the transport's messages until one is a StateChange naming `type` at `state`; each one taken names only asked types. */
  async function untilPushed(next: () => Promise<Record<string, unknown> | undefined>, type: string, state: string, asked: string[]): Promise<void> {
    for (;;) {
      const message = await next();
      expect(message?.['@type']).toBe('StateChange');
      const changed = (message!['changed'] as Record<string, Record<string, string>>)[accountId]!;
      expect(Object.keys(changed).every((t) => asked.includes(t)), JSON.stringify(changed)).toBe(true);
      if (changed[type] === state) return;
    }
  }

  it('PostagePolicy/set, Contact/set and a decided case push their type at the state its /get reports, over EventSource and WebSocket', async () => {
    const base = `http://127.0.0.1:${g.gateway.httpPort}`;
    const auth = basic('alice@example.test');
    // The socket also asks for Mailbox: its first StateChange (a new mailbox's) shows its feed follows the account.
    const socketTypes = [...TYPES, 'Mailbox'];
    const socket = await openJmapSocket(`${base.replace(/^http/, 'ws')}/jmap/ws`, auth);
    socket.send({ '@type': 'WebSocketPushEnable', dataTypes: socketTypes });
    const stream = await openEventStream(`${base}/jmap/eventsource?types=${TYPES.join(',')}&closeafter=no&ping=0`, auth);
    await stream.ready();
    await call('Mailbox/set', { create: { box: { name: 'Push check' } } });
    const boxes = await stateOf('Mailbox');
    expect(await socket.next()).toEqual({ '@type': 'StateChange', changed: { [accountId]: { Mailbox: boxes } }, pushState: boxes });

    const exactly = async (type: string, pushState: string) => {
      const state = await stateOf(type);
      expect(await stream.next()).toEqual({ event: 'state', data: { '@type': 'StateChange', changed: { [accountId]: { [type]: state } } } });
      expect(await socket.next()).toEqual({ '@type': 'StateChange', changed: { [accountId]: { [type]: state } }, pushState });
    };
    expect((await call('PostagePolicy/set', { update: { singleton: { strangerSats: 300 } } }))['updated']).toEqual({ singleton: null });
    await exactly('PostagePolicy', boxes);
    const created = await call('Contact/set', { create: { c: { address: 'grace@sender.test', class: 'friend' } } });
    const contactId = (created['created'] as Record<string, { id: string }>)['c']!.id;
    await exactly('Contact', boxes);
    expect((await call('Contact/set', { update: { [contactId]: { class: 'blocked' } } }))['updated']).toEqual({ [contactId]: null });
    await exactly('Contact', boxes);

    // A stranger's mail opens a case (then its invoice goes out); rejecting it cancels the case.
    const opened = await strangerMail('heidi@sender.test', 'Pushed pitch');
    expect((await decide(opened.caseId, 'reject'))['updated']).toEqual({ [opened.caseId]: { state: 'canceled' } });
    const cases = await stateOf('Postage');
    await untilPushed(async () => (await stream.next())?.data as Record<string, unknown> | undefined, 'Postage', cases, TYPES);
    await untilPushed(() => socket.next(), 'Postage', cases, socketTypes);
    stream.close();
    socket.ws.close();
    await call('PostagePolicy/set', { update: { singleton: { strangerSats: null } } });
  });

  it('pushes PostagePolicy and Contact changed with the CLI through the running gateway', async () => {
    const base = `http://127.0.0.1:${g.gateway.httpPort}`;
    const stream = await openEventStream(`${base}/jmap/eventsource?types=PostagePolicy,Contact&closeafter=no&ping=0`, basic('alice@example.test'));
    await stream.ready();
    try {
      const set = await g.cli(['postage', 'set', 'alice@example.test', '--stranger', '250']);
      expect(set.code, set.err).toBe(0);
      expect(await stream.next()).toEqual({ event: 'state', data: { '@type': 'StateChange', changed: { [accountId]: { PostagePolicy: await stateOf('PostagePolicy') } } } });
      expect(((await call('PostagePolicy/get', { ids: null }))['list'] as Array<{ strangerSats: number }>)[0]!.strangerSats).toBe(250);
      const friend = await g.cli(['contacts', 'set', 'alice@example.test', 'ivan@sender.test', 'friend']);
      expect(friend.code, friend.err).toBe(0);
      expect(await stream.next()).toEqual({ event: 'state', data: { '@type': 'StateChange', changed: { [accountId]: { Contact: await stateOf('Contact') } } } });
    } finally {
      stream.close();
      expect((await g.cli(['postage', 'set', 'alice@example.test', '--stranger', 'default'])).code).toBe(0);
    }
  });
});
