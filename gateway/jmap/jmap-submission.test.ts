// JMAP sending against a running gateway (PostgreSQL, dev Lightning, a recorded remote MX):
// a draft made with Email/set create goes out through EmailSubmission/set to the remote MX
// (Bcc removed) and to a local Bcc recipient, and onSuccessUpdateEmail files it in Sent;
// every EmailSubmission refusal with its exact SetError; /get, /changes and /query;
// Identity/set; and the vacation response answering MX mail exactly once, never a list.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountService } from '../../services/account-service.js';
import { systemRng } from '../../services/random.js';
import { openPostgres, type Db } from '../../storage/db.js';
import { createTestSchema, type TestSchema } from '../../test/helpers/databases.js';
import { eventually, message, PASSWORD, startPostageGateway, type PostageGateway } from '../../test/helpers/postage-gateway.js';

let g: PostageGateway;
let schema: TestSchema;
let db: Db;
let accountId = '';
let identityId = '';
const box: Record<string, string> = {};
const USING = ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail', 'urn:ietf:params:jmap:submission', 'urn:ietf:params:jmap:vacationresponse'];

type Call = [string, Record<string, unknown>, string];

async function api(calls: Call[], user = 'alice@example.test'): Promise<Call[]> {
  const response = await fetch(`http://127.0.0.1:${g.gateway.httpPort}/jmap/api`, {
    method: 'POST',
    headers: { authorization: basic(user), 'content-type': 'application/json' },
    body: JSON.stringify({ using: USING, methodCalls: calls }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { methodResponses: Call[] }).methodResponses;
}

/** One call's answer. */
async function call(name: string, args: Record<string, unknown>, user?: string): Promise<Record<string, unknown>> {
  const [[answer, result]] = (await api([[name, { accountId, ...args }, 'c']], user)) as [Call];
  expect(answer, JSON.stringify(result)).toBe(name);
  return result;
}

const basic = (user: string) => `Basic ${Buffer.from(`${user}:${PASSWORD}`).toString('base64')}`;

async function primaryAccount(user: string): Promise<string> {
  const session = (await (await fetch(`http://127.0.0.1:${g.gateway.httpPort}/.well-known/jmap`, { headers: { authorization: basic(user) } })).json()) as { primaryAccounts: Record<string, string> };
  return session.primaryAccounts['urn:ietf:params:jmap:submission']!;
}

const draft = (extra: Record<string, unknown>) => ({
  mailboxIds: { [box['drafts']!]: true }, keywords: { $draft: true }, textBody: [{ partId: 't' }], bodyValues: { t: { value: 'Hello.' } }, ...extra,
});

beforeAll(async () => {
  schema = await createTestSchema();
  g = await startPostageGateway({ DATABASE_URL: schema.url });
  db = await openPostgres(schema.url, { poolSize: 1 });
  const added = await g.cli(['user', 'add', 'bob@example.test', '--password-stdin'], `${PASSWORD}\n`);
  expect(added.code, added.err).toBe(0);
  accountId = await primaryAccount('alice@example.test');
  identityId = `I${accountId.slice(1)}`;
  for (const m of (await call('Mailbox/get', { ids: null }))['list'] as Array<{ id: string; role: string | null }>) if (m.role) box[m.role] = m.id;
}, 120_000);

afterAll(async () => {
  await db?.close();
  await g?.close();
  await schema?.dispose();
});

describe('Email/set create and EmailSubmission/set', () => {
  let emailId = '';
  let submissionId = '';
  let startState = '';

  it('sends a draft to the remote MX without its Bcc, delivers the Bcc copy locally and files the draft in Sent without $draft', async () => {
    startState = (await call('EmailSubmission/get', { ids: [] }))['state'] as string;
    const responses = await api([
      ['Email/set', { accountId, create: { draft: draft({
        keywords: { $draft: true, $seen: true },
        from: [{ name: 'Alice', email: 'alice@example.test' }], to: [{ name: 'Carol', email: 'carol@sender.test' }], bcc: [{ email: 'bob@example.test' }],
        subject: 'Lunch?', 'header:X-Mood:asText': 'hungry',
        textBody: [{ partId: 't', type: 'text/plain' }], htmlBody: [{ partId: 'h', type: 'text/html' }],
        bodyValues: { t: { value: 'Lunch at noon?' }, h: { value: '<p>Lunch at <b>noon</b>?</p>' } },
      }) } }, 'a'],
      ['EmailSubmission/set', {
        accountId, create: { send: { identityId, emailId: '#draft' } },
        onSuccessUpdateEmail: { '#send': { [`mailboxIds/${box['drafts']}`]: null, [`mailboxIds/${box['sent']}`]: true, 'keywords/$draft': null } },
      }, 'b'],
    ]);
    expect(responses.map(([name, , id]) => [name, id])).toEqual([['Email/set', 'a'], ['EmailSubmission/set', 'b'], ['Email/set', 'b']]);
    const created = (responses[0]![1]['created'] as Record<string, { id: string; blobId: string; threadId: string; size: number }>)['draft']!;
    emailId = created.id;
    expect(created).toEqual({ id: expect.stringMatching(/^E\d+$/), blobId: expect.stringMatching(/^B\d+$/), threadId: expect.stringMatching(/^T\d+$/), size: expect.any(Number) });
    const submission = (responses[1]![1]['created'] as Record<string, Record<string, unknown>>)['send']!;
    submissionId = submission['id'] as string;
    expect(submission).toEqual({
      id: expect.stringMatching(/^S\d+$/), identityId, threadId: created.threadId, undoStatus: 'final', sendAt: expect.any(String), dsnBlobIds: [], mdnBlobIds: [],
      envelope: { mailFrom: { email: 'alice@example.test', parameters: null }, rcptTo: [{ email: 'carol@sender.test', parameters: null }, { email: 'bob@example.test', parameters: null }] },
      deliveryStatus: {
        'carol@sender.test': { smtpReply: '250 2.0.0 queued', delivered: 'queued', displayed: 'unknown' },
        'bob@example.test': { smtpReply: '250 2.0.0 delivered', delivered: 'yes', displayed: 'unknown' },
      },
    });
    expect(responses[2]![1]).toMatchObject({ updated: { [emailId]: null }, notUpdated: null });

    await g.remote.until('the submitted message', () => g.remote.received.length >= 1);
    const sent = g.remote.received[0]!;
    expect([sent.from, sent.to]).toEqual(['alice@example.test', ['carol@sender.test']]);
    const text = sent.data.toString('utf8');
    expect(text).toMatch(/^From: Alice <alice@example\.test>\r$/m);
    expect(text).toMatch(/^To: Carol <carol@sender\.test>\r$/m);
    expect(text).toMatch(/^Subject: Lunch\?\r$/m);
    expect(text).toMatch(/^X-Mood: hungry\r$/m);
    expect(text).toMatch(/^Content-Type: multipart\/alternative;/m);
    expect(text).not.toMatch(/^Bcc:/im);
    expect(text).not.toContain('bob@example.test');

    const [email] = (await call('Email/get', { ids: [emailId], properties: ['mailboxIds', 'keywords', 'bcc', 'subject'] }))['list'] as [Record<string, unknown>];
    expect(email).toEqual({ id: emailId, mailboxIds: { [box['sent']!]: true }, keywords: { $seen: true }, bcc: [{ name: null, email: 'bob@example.test' }], subject: 'Lunch?' });

    const bob = { accountId: await primaryAccount('bob@example.test') };
    const bobsIds = (await call('Email/query', bob, 'bob@example.test'))['ids'] as string[];
    const bobs = (await call('Email/get', { ...bob, ids: bobsIds, properties: ['subject', 'from', 'bcc'] }, 'bob@example.test'))['list'] as Array<Record<string, unknown>>;
    expect(bobs.map((e) => [e['subject'], e['from'], e['bcc']])).toEqual([['Lunch?', [{ name: 'Alice', email: 'alice@example.test' }], null]]);
  });

  it('creates an Email from a bodyStructure with a stored message attached by blob id and header:* forms; refuses bad header properties', async () => {
    const [sent] = (await call('Email/get', { ids: [emailId], properties: ['blobId'] }))['list'] as [{ blobId: string }];
    const created = await call('Email/set', { create: {
      tree: {
        mailboxIds: { [box['drafts']!]: true },
        from: [{ email: 'alice@example.test' }], subject: 'Fwd: Lunch?', sentAt: '2026-11-28T10:00:00Z',
        'header:List-Unsubscribe:asURLs': ['mailto:x@example.test'], 'header:X-Raw': ' kept as is', 'header:Resent-To:asAddresses': [{ name: 'Zoë', email: 'z@sender.test' }],
        bodyStructure: { type: 'multipart/mixed', subParts: [{ partId: 'body', type: 'text/plain' }, { blobId: sent.blobId, type: 'message/rfc822', name: 'lunch.eml', disposition: 'attachment' }] },
        bodyValues: { body: { value: 'See below.' } },
      },
      both: { ...draft({ from: [{ email: 'alice@example.test' }] }), 'header:From:asAddresses': [{ email: 'alice@example.test' }] },
      content: { ...draft({}), 'header:Content-Type': ' text/html' },
      twoBodies: { ...draft({}), bodyStructure: { partId: 't' } },
    } });
    const tree = (created['created'] as Record<string, { id: string }>)['tree']!;
    expect(created['notCreated']).toEqual({
      both: { type: 'invalidProperties', properties: ['header:From:asAddresses'] },
      content: { type: 'invalidProperties', properties: ['header:Content-Type'] },
      twoBodies: { type: 'invalidProperties', properties: ['textBody'], description: 'bodyStructure and textBody/htmlBody/attachments cannot be given together' },
    });
    const [email] = (await call('Email/get', { ids: [tree.id], properties: ['subject', 'sentAt', 'hasAttachment', 'preview'] }))['list'] as [Record<string, unknown>];
    expect(email).toEqual({ id: tree.id, subject: 'Fwd: Lunch?', sentAt: '2026-11-28T10:00:00Z', hasAttachment: true, preview: 'See below.' });
    const [blob] = (await call('Email/get', { ids: [tree.id], properties: ['blobId'] }))['list'] as [{ blobId: string }];
    const raw = await (await fetch(`http://127.0.0.1:${g.gateway.httpPort}/jmap/download/${accountId}/${blob.blobId}/m.eml`, { headers: { authorization: basic('alice@example.test') } })).text();
    expect(raw).toMatch(/^List-Unsubscribe: <mailto:x@example\.test>\r$/m);
    expect(raw).toMatch(/^X-Raw: kept as is\r$/m);
    expect(raw).toMatch(/^Resent-To: =\?UTF-8\?B\?Wm/m);
    expect(raw).toMatch(/^Content-Type: message\/rfc822\r\nContent-Disposition: attachment; filename=lunch\.eml\r$/m);
    expect(raw).toContain('Subject: Lunch?');
  });

  it('answers each refusal with its exact SetError', async () => {
    await db.query("UPDATE users SET quota_bytes = 0 WHERE address = 'bob@example.test'");
    const responses = await api([
      ['Email/set', { accountId, create: {
        noFrom: draft({ to: [{ email: 'carol@sender.test' }] }),
        noRcpt: draft({ from: [{ email: 'alice@example.test' }] }),
        nobody: draft({ from: [{ email: 'alice@example.test' }], to: [{ email: 'nobody@example.test' }, { email: 'carol@sender.test' }] }),
        mallory: draft({ from: [{ email: 'mallory@sender.test' }], to: [{ email: 'carol@sender.test' }] }),
        toBob: draft({ from: [{ email: 'alice@example.test' }], to: [{ email: 'bob@example.test' }] }),
        badBlob: draft({ from: [{ email: 'alice@example.test' }], attachments: [{ blobId: 'B999999', type: 'application/pdf', name: 'x.pdf' }] }),
        badBox: { ...draft({}), mailboxIds: { M999999: true } },
      } }, 'a'],
      ['EmailSubmission/set', { accountId, create: {
        invalidEmail: { identityId, emailId: '#noFrom' },
        noRecipients: { identityId, emailId: '#noRcpt' },
        tooMany: { identityId, emailId: '#noRcpt', envelope: { mailFrom: { email: 'alice@example.test' }, rcptTo: Array.from({ length: 101 }, (_, i) => ({ email: `r${i}@sender.test` })) } },
        invalidRecipients: { identityId, emailId: '#nobody' },
        forbiddenMailFrom: { identityId, emailId: '#noRcpt', envelope: { mailFrom: { email: 'mallory@sender.test' }, rcptTo: [{ email: 'carol@sender.test' }] } },
        forbiddenFrom: { identityId, emailId: '#mallory', envelope: { mailFrom: { email: 'alice@example.test' }, rcptTo: [{ email: 'carol@sender.test' }] } },
        forbiddenToSend: { identityId, emailId: '#toBob' },
        noIdentity: { identityId: 'I_999', emailId: '#toBob' },
        noEmail: { identityId, emailId: 'E999999' },
        serverSet: { identityId, emailId: '#toBob', undoStatus: 'pending' },
      } }, 'b'],
    ]);
    await db.query("UPDATE users SET quota_bytes = 1073741824 WHERE address = 'bob@example.test'");
    expect(responses[0]![1]['notCreated']).toEqual({
      badBlob: { type: 'blobNotFound', notFound: ['B999999'] },
      badBox: { type: 'invalidProperties', properties: ['mailboxIds'], description: 'an Email is in at least one mailbox, each existing' },
    });
    expect(responses[1]![1]['created']).toBeNull();
    expect(responses[1]![1]['notCreated']).toEqual({
      invalidEmail: { type: 'invalidEmail', properties: ['from'], description: 'the Email has no From address' },
      noRecipients: { type: 'noRecipients', description: 'the submission has no recipients' },
      tooMany: { type: 'tooManyRecipients', maxRecipients: 100, description: 'at most 100 recipients per submission' },
      invalidRecipients: { type: 'invalidRecipients', invalidRecipients: ['nobody@example.test'] },
      forbiddenMailFrom: { type: 'forbiddenMailFrom', description: 'mallory@sender.test is not an address of this account' },
      forbiddenFrom: { type: 'forbiddenFrom', description: 'mallory@sender.test is not an address of this account' },
      forbiddenToSend: { type: 'forbiddenToSend', description: 'the mailbox quota would be exceeded' },
      noIdentity: { type: 'invalidProperties', properties: ['identityId'], description: 'no such identity' },
      noEmail: { type: 'invalidProperties', properties: ['emailId'], description: 'no such Email' },
      serverSet: { type: 'invalidProperties', properties: ['undoStatus'], description: expect.any(String) },
    });
    // Nothing left the gateway for any of them.
    await new Promise((r) => setTimeout(r, 1000));
    expect(g.remote.received).toHaveLength(1);
  });

  it('serves /get, /changes and /query; an update cannot unsend; destroy forgets the record', async () => {
    const changes = await call('EmailSubmission/changes', { sinceState: startState });
    expect(changes).toMatchObject({ oldState: startState, hasMoreChanges: false, created: [submissionId], updated: [], destroyed: [] });
    const query = (args: Record<string, unknown>) => call('EmailSubmission/query', args).then((r) => r['ids']);
    expect(await query({ filter: { emailIds: [emailId], undoStatus: 'final' }, sort: [{ property: 'sentAt', isAscending: false }] })).toEqual([submissionId]);
    expect(await query({ filter: { identityIds: ['I_1'] } })).toEqual([]);
    expect(await query({ filter: { before: '2000-01-01T00:00:00Z' } })).toEqual([]);
    expect(await api([['EmailSubmission/query', { accountId, sort: [{ property: 'size' }] }, 'q']])).toEqual([['error', { type: 'unsupportedSort', description: 'sorting by size is not supported' }, 'q']]);
    const set = await call('EmailSubmission/set', { update: { [submissionId]: { undoStatus: 'canceled' } }, destroy: [submissionId, 'S999999'] });
    expect(set).toMatchObject({
      notUpdated: { [submissionId]: { type: 'cannotUnsend', description: 'the message was sent at once; it cannot be recalled' } },
      destroyed: [submissionId],
      notDestroyed: { S999999: { type: 'notFound' } },
    });
    expect(await call('EmailSubmission/get', { ids: [submissionId] })).toMatchObject({ list: [], notFound: [submissionId] });
    expect(await call('EmailSubmission/changes', { sinceState: changes['newState'] })).toMatchObject({ created: [], destroyed: [submissionId] });
  });

  it('EmailSubmission/queryChanges: added with its index, removed once destroyed; exact cannotCalculateChanges and tooManyChanges', async () => {
    const filter = { undoStatus: 'final' };
    // By emailId: the Emails of one request are made in order, so there are no ties (sentAt may share a millisecond).
    const sort = [{ property: 'emailId', isAscending: false }];
    const q0 = await call('EmailSubmission/query', { filter, sort });
    expect(q0).toMatchObject({ canCalculateChanges: true, ids: [] });
    const send = async (count: number): Promise<string[]> => {
      const creates = Object.fromEntries(Array.from({ length: count }, (_, i) => [`m${i}`, draft({ from: [{ email: 'alice@example.test' }], to: [{ email: 'bob@example.test' }], subject: `Query ${i}` })]));
      const submissions = Object.fromEntries(Array.from({ length: count }, (_, i) => [`s${i}`, { identityId, emailId: `#m${i}` }]));
      const [, [, sent]] = (await api([['Email/set', { accountId, create: creates }, 'a'], ['EmailSubmission/set', { accountId, create: submissions }, 'b']])) as [Call, Call];
      return Array.from({ length: count }, (_, i) => (sent['created'] as Record<string, { id: string }>)[`s${i}`]!.id);
    };
    const [first] = await send(1);
    const q1 = await call('EmailSubmission/query', { filter, sort });
    expect(await call('EmailSubmission/queryChanges', { filter, sort, sinceQueryState: q0['queryState'], calculateTotal: true })).toEqual({
      accountId, oldQueryState: q0['queryState'], newQueryState: q1['queryState'], total: 1, removed: [], added: [{ id: first, index: 0 }],
    });
    // Two more, newest first: both ahead of the first one.
    const [second, third] = await send(2);
    const q2 = await call('EmailSubmission/query', { filter, sort });
    expect(q2['ids']).toEqual([third, second, first]);
    expect(await call('EmailSubmission/queryChanges', { filter, sort, sinceQueryState: q1['queryState'] })).toEqual({
      accountId, oldQueryState: q1['queryState'], newQueryState: q2['queryState'], removed: [], added: [{ id: third, index: 0 }, { id: second, index: 1 }],
    });
    // upToId: the client holds only the first result; what was added after it is left out.
    expect(await call('EmailSubmission/queryChanges', { filter, sort, sinceQueryState: q1['queryState'], upToId: third })).toMatchObject({ removed: [], added: [{ id: third, index: 0 }] });
    expect(await api([['EmailSubmission/queryChanges', { accountId, filter, sort, sinceQueryState: q1['queryState'], maxChanges: 1 }, 'm']])).toEqual([
      ['error', { type: 'tooManyChanges', description: '2 changes, more than maxChanges' }, 'm'],
    ]);

    expect((await call('EmailSubmission/set', { destroy: [second] }))['destroyed']).toEqual([second]);
    const q3 = await call('EmailSubmission/query', { filter, sort });
    expect(await call('EmailSubmission/queryChanges', { filter, sort, sinceQueryState: q2['queryState'], calculateTotal: true })).toEqual({
      accountId, oldQueryState: q2['queryState'], newQueryState: q3['queryState'], total: 2, removed: [second], added: [],
    });
    // Created and destroyed since the old state: never seen, not reported.
    expect(await call('EmailSubmission/queryChanges', { filter, sort, sinceQueryState: q1['queryState'] })).toMatchObject({ removed: [], added: [{ id: third, index: 0 }] });

    const future = String(Number(q3['queryState']) + 1000);
    expect(await api([
      ['EmailSubmission/queryChanges', { accountId, sinceQueryState: 'not-a-state' }, 'x'],
      ['EmailSubmission/queryChanges', { accountId, sinceQueryState: future }, 'y'],
      ['EmailSubmission/queryChanges', { accountId, sinceQueryState: q0['queryState'], filter: { operator: 'AND', conditions: [] } }, 'z'],
    ])).toEqual([
      ['error', { type: 'cannotCalculateChanges', description: '"not-a-state" is not a query state of this account' }, 'x'],
      ['error', { type: 'cannotCalculateChanges', description: `"${future}" is not a query state of this account` }, 'y'],
      ['error', { type: 'unsupportedFilter', description: 'FilterOperator is not supported for EmailSubmission/query' }, 'z'],
    ]);
  });

});

describe('Identity/set', () => {
  it('creates an identity for an alias, refuses an address not the user\'s, updates, reports changes and destroys', async () => {
    const accounts = new AccountService(db, { rng: systemRng });
    const alice = await accounts.resolveAddress('alice@example.test');
    await accounts.addAlias(alice!.userId, 'al@example.test');
    const state = (await call('Identity/get', { ids: [] }))['state'] as string;
    const set = await call('Identity/set', {
      create: { al: { email: 'al@example.test', name: 'Al', textSignature: '-- Al' }, bad: { email: 'mallory@sender.test' } },
      update: { [identityId]: { name: 'Alice A.', htmlSignature: '<p>A.</p>' } },
      destroy: [identityId],
    });
    const alId = (set['created'] as Record<string, { id: string }>)['al']!.id;
    expect(set).toMatchObject({
      created: { al: { id: alId, mayDelete: true, name: 'Al', replyTo: null, bcc: null, textSignature: '-- Al', htmlSignature: '' } },
      notCreated: { bad: { type: 'forbiddenFrom', description: 'mallory@sender.test is not an address of this account' } },
      updated: { [identityId]: null },
      notDestroyed: { [identityId]: { type: 'forbidden', description: 'the default identity cannot be destroyed' } },
    });
    expect((await call('Identity/get', { ids: null }))['list']).toEqual([
      { id: identityId, name: 'Alice A.', email: 'alice@example.test', replyTo: null, bcc: null, textSignature: '', htmlSignature: '<p>A.</p>', mayDelete: false },
      { id: alId, name: 'Al', email: 'al@example.test', replyTo: null, bcc: null, textSignature: '-- Al', htmlSignature: '', mayDelete: true },
    ]);
    const changed = await call('Identity/changes', { sinceState: state });
    expect([changed['created'], changed['updated'], changed['destroyed']]).toEqual([[alId], [identityId], []]);
    expect(await call('Identity/set', { update: { [alId]: { email: 'alice@example.test' } } })).toMatchObject({
      notUpdated: { [alId]: { type: 'invalidProperties', properties: ['email'], description: 'the email of an identity cannot change' } },
    });
    const gone = await call('Identity/set', { destroy: [alId] });
    expect(gone, JSON.stringify(gone)).toMatchObject({ destroyed: [alId] });
    expect(await call('Identity/changes', { sinceState: changed['newState'] })).toMatchObject({ created: [], updated: [], destroyed: [alId] });
  });
});

describe('VacationResponse', () => {
  it('answers mail from the MX once per sender, never a mailing list, while it is on', async () => {
    expect(await call('VacationResponse/get', { ids: null })).toMatchObject({
      list: [{ id: 'singleton', isEnabled: false, fromDate: null, toDate: null, subject: null, textBody: null, htmlBody: null }], notFound: [],
    });
    const set = await call('VacationResponse/set', {
      create: { x: {} },
      update: { singleton: { isEnabled: true, fromDate: '2020-01-01T00:00:00Z', subject: 'Away', textBody: 'Back on Monday.' } },
    });
    expect(set).toMatchObject({ updated: { singleton: null }, notCreated: { x: { type: 'singleton' } } });
    expect((await call('VacationResponse/get', { ids: ['singleton'], properties: ['isEnabled', 'subject'] }))['list']).toEqual([{ id: 'singleton', isEnabled: true, subject: 'Away' }]);
    // carol@sender.test is a friend since Alice wrote to her: her mail reaches the INBOX.
    g.remote.reset();
    await g.send('carol@sender.test', message('carol@sender.test', 'Are you there'));
    await g.remote.until('the vacation reply', () => g.remote.received.length >= 1);
    await g.send('carol@sender.test', message('carol@sender.test', 'Still there'));
    await g.send('carol@sender.test', message('carol@sender.test', 'Digest', 'List-Id: <news.sender.test>\r\n'));
    await new Promise((r) => setTimeout(r, 2500));
    expect(g.remote.received).toHaveLength(1);
    const reply = g.remote.received[0]!;
    expect([reply.from, reply.to]).toEqual(['', ['carol@sender.test']]);
    const text = reply.data.toString('utf8');
    expect(text).toMatch(/^From: <alice@example\.test>\r$/m);
    expect(text).toMatch(/^Subject: Away\r$/m);
    expect(text).toMatch(/^In-Reply-To: <are-you-there@sender\.test>\r$/im);
    expect(text).toMatch(/^Auto-Submitted: auto-replied\r$/m);
    expect(text).toContain('Back on Monday.');
  });
});

describe('EmailSubmission deliveryStatus', () => {
  it('follows the outbound queue: yes with the remote reply, no with its permanent refusal, /changes reports the update; only the sender sees it', async () => {
    g.remote.reset();
    // The remote MX answers RCPT TO only once the submission is recorded: the outcome is an update.
    const release = g.remote.hold();
    let submissionId = '';
    let sentState = '';
    try {
      const responses = await api([
        ['Email/set', { accountId, create: { d: draft({ from: [{ email: 'alice@example.test' }], to: [{ email: 'dave@sender.test' }, { email: 'unknown@sender.test' }], subject: 'Status?' }) } }, 'a'],
        ['EmailSubmission/set', { accountId, create: { s: { identityId, emailId: '#d' } } }, 'b'],
      ]);
      const set = responses[1]![1];
      sentState = set['newState'] as string;
      const created = (set['created'] as Record<string, { id: string; deliveryStatus: unknown }>)['s']!;
      submissionId = created.id;
      expect(created.deliveryStatus).toEqual({
        'dave@sender.test': { smtpReply: '250 2.0.0 queued', delivered: 'queued', displayed: 'unknown' },
        'unknown@sender.test': { smtpReply: '250 2.0.0 queued', delivered: 'queued', displayed: 'unknown' },
      });
      await g.remote.until('the first recipient', () => g.remote.rcpts.length >= 1);
    } finally {
      release();
    }
    await g.remote.until('the message', () => g.remote.received.length >= 1);
    expect(g.remote.received[0]!.to).toEqual(['dave@sender.test']);
    const status = await eventually('the final delivery status', async () => {
      const [s] = (await call('EmailSubmission/get', { ids: [submissionId], properties: ['deliveryStatus'] }))['list'] as [{ deliveryStatus: Record<string, { delivered: string }> }];
      return Object.values(s.deliveryStatus).every((d) => d.delivered !== 'queued') && s.deliveryStatus;
    });
    expect(status).toEqual({
      'dave@sender.test': { smtpReply: '250 OK: message queued', delivered: 'yes', displayed: 'unknown' },
      'unknown@sender.test': { smtpReply: '550 5.1.1 no such user', delivered: 'no', displayed: 'unknown' },
    });
    expect(await call('EmailSubmission/changes', { sinceState: sentState })).toMatchObject({ oldState: sentState, created: [], updated: [submissionId], destroyed: [] });

    // Stored sealed: neither recipient nor reply in the raw bytes.
    const stored = await db.query<{ data: Uint8Array }>('SELECT data FROM email_submission_outcomes WHERE submission_id = $1', [Number(submissionId.slice(1))]);
    expect(stored).toHaveLength(2);
    for (const r of stored) expect(Buffer.from(r.data).toString('latin1')).not.toMatch(/sender\.test|no such user|5\.1\.1|message queued/);

    const bob = { accountId: await primaryAccount('bob@example.test') };
    expect(await call('EmailSubmission/get', { ...bob, ids: [submissionId] }, 'bob@example.test')).toMatchObject({ list: [], notFound: [submissionId] });
    expect(await api([['EmailSubmission/get', { accountId, ids: [submissionId] }, 'x']], 'bob@example.test')).toEqual([['error', { type: 'accountNotFound' }, 'x']]);
  });
});

describe('storage', () => {
  it('keeps submissions, identities and the vacation text sealed in the database', async () => {
    const rows = await db.query<{ data: Uint8Array | null }>('SELECT data FROM email_submissions UNION ALL SELECT data FROM identities UNION ALL SELECT data FROM vacation_responses');
    expect(rows.length).toBeGreaterThanOrEqual(4);
    for (const r of rows) expect(Buffer.from(r.data ?? []).toString('latin1')).not.toMatch(/sender\.test|example\.test|Away|Monday/);
  });
});
