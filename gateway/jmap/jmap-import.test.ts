// Email/import, Email/parse, Email/copy and SearchSnippet/get over the real gateway: a real MIME
// file uploaded and imported is the Email JMAP shows and, byte for byte, the message IMAP
// fetches; every refusal is the exact RFC 8620/8621 error; snippets mark and escape.
import { readFileSync } from 'node:fs';
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openImapGateway, PASSWORD, type ImapGateway } from '../../test/helpers/imap-gateway.js';
import { startJmapHttp, type JmapHttp } from '../../test/helpers/jmap-gateway.js';

const CORE = 'urn:ietf:params:jmap:core';
const MAIL = 'urn:ietf:params:jmap:mail';
const ALICE = 'alice@example.test';
const MIME = readFileSync(new URL('../../test/fixtures/mime-corpus/03-mixed-attachment.eml', import.meta.url));
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');

let imap: ImapGateway;
let http: JmapHttp;
let client: ImapFlow;
let accountId: string;
let inbox: string;
let archive: string;

beforeAll(async () => {
  imap = await openImapGateway();
  const port = (await imap.start({ implicitTls: true })).port;
  http = await startJmapHttp(imap);
  const alice = await imap.accounts.authenticate(ALICE, PASSWORD);
  inbox = `M${(await imap.mailboxes.byRole(alice, 'inbox')).id}`;
  archive = `M${(await imap.mailboxes.byRole(alice, 'archive')).id}`;
  accountId = `A${imap.alice.userId}`;
  client = await imap.client(port);
});

afterAll(async () => {
  await http.close();
  await imap.dispose();
});

async function upload(body: Uint8Array, as = ALICE): Promise<string> {
  const r = await fetch(`${http.base}/jmap/upload/${as === ALICE ? accountId : `A${imap.bob.userId}`}/`, { method: 'POST', headers: { authorization: http.basic(as) }, body });
  expect(r.status).toBe(201);
  return ((await r.json()) as { blobId: string }).blobId;
}

async function call(name: string, args: Record<string, unknown>, as = ALICE): Promise<[string, Record<string, unknown>, string]> {
  const r = await http.post({ using: [CORE, MAIL], methodCalls: [[name, { accountId, ...args }, 'c']] }, { authorization: http.basic(as) });
  expect(r.status).toBe(200);
  return (r.json as { methodResponses: Array<[string, Record<string, unknown>, string]> }).methodResponses[0]!;
}

async function importOne(email: Record<string, unknown>): Promise<Record<string, unknown>> {
  const [, result] = await call('Email/import', { emails: { k: email } });
  return result;
}

describe('Email/import', () => {
  it('makes an Email of an uploaded MIME file that Email/get shows and IMAP fetches byte for byte', async () => {
    const blobId = await upload(MIME);
    const before = (await call('Email/get', { ids: [] }))[1]['state'] as string;
    const result = await importOne({ blobId, mailboxIds: { [inbox]: true }, keywords: { $seen: true, ProjectX: true }, receivedAt: '2026-11-06T09:15:00Z' });
    const id = `E${blobId.slice(1)}`;
    expect(result).toEqual({
      accountId, oldState: before, newState: String(Number(before) + 1),
      created: { k: { id, blobId, threadId: expect.stringMatching(/^T\d+$/), size: MIME.length } }, notCreated: null,
    });
    const [, got] = await call('Email/get', { ids: [id], properties: ['blobId', 'mailboxIds', 'keywords', 'size', 'receivedAt', 'subject', 'from', 'cc', 'messageId', 'inReplyTo', 'hasAttachment', 'preview'] });
    expect(got['list']).toEqual([{
      id, blobId, mailboxIds: { [inbox]: true }, keywords: { $seen: true, projectx: true }, size: MIME.length, receivedAt: '2026-11-06T09:15:00Z',
      subject: 'Report attached', from: [{ name: 'Carol', email: 'carol@example.net' }], cc: [{ name: null, email: 'dave@example.net' }],
      messageId: ['CAF=report-5@mail.example.net'], inReplyTo: ['req-1@example.test'], hasAttachment: true, preview: 'The report you asked for is attached.',
    }]);
    const [, changes] = await call('Email/changes', { sinceState: before });
    expect(changes['created']).toEqual([id]);

    await client.mailboxOpen('INBOX');
    const uid = (await client.search({ header: { 'message-id': 'CAF=report-5@mail.example.net' } }, { uid: true }) as number[])[0]!;
    const fetched = await client.fetchOne(String(uid), { source: true, flags: true, internalDate: true }, { uid: true });
    expect(fetched && Buffer.from(fetched.source!).equals(MIME)).toBe(true);
    expect(fetched && [...fetched.flags!].sort()).toEqual(['\\Seen', 'projectx']);
    expect(fetched && new Date(fetched.internalDate!).toISOString()).toBe('2026-11-06T09:15:00.000Z');
  });

  it('puts one Email in several mailboxes, charging the quota per copy, received when the newest Received field says', async () => {
    const raw = Buffer.from('Received: from a by b; Tue, 03 Nov 2026 10:00:00 +0100\r\nReceived: from c by d; Mon, 02 Nov 2026 10:00:00 +0000\r\nSubject: twice\r\n\r\nbody\r\n');
    const blobId = await upload(raw);
    const used = async () => (await imap.t.db.query<{ used_bytes: number }>('SELECT used_bytes FROM users WHERE id = $1', [imap.alice.userId]))[0]!.used_bytes;
    const usedBefore = await used();
    expect((await importOne({ blobId, mailboxIds: { [inbox]: true, [archive]: true } }))['created']).toEqual({ k: expect.objectContaining({ size: raw.length }) });
    expect(await used()).toBe(usedBefore + 2 * raw.length);
    const [, got] = await call('Email/get', { ids: [`E${blobId.slice(1)}`], properties: ['mailboxIds', 'keywords', 'receivedAt'] });
    expect(got['list']).toEqual([{ id: `E${blobId.slice(1)}`, mailboxIds: { [inbox]: true, [archive]: true }, keywords: {}, receivedAt: '2026-11-03T09:00:00Z' }]);
  });

  it('refuses each bad import with its exact SetError and imports the rest', async () => {
    const message = await upload(Buffer.from('Subject: once\r\n\r\nonly once\r\n'));
    await importOne({ blobId: message, mailboxIds: { [inbox]: true } });
    const png = await upload(PNG);
    const fresh = await upload(Buffer.from('Subject: fine\r\n\r\nfine\r\n'));
    const [, result] = await call('Email/import', {
      emails: {
        again: { blobId: message, mailboxIds: { [inbox]: true } },
        image: { blobId: png, mailboxIds: { [inbox]: true } },
        noBlob: { blobId: 'B999999', mailboxIds: { [inbox]: true } },
        noMailbox: { blobId: fresh, mailboxIds: { M999999: true } },
        noMailboxes: { blobId: fresh, mailboxIds: {} },
        badKeyword: { blobId: fresh, mailboxIds: { [inbox]: true }, keywords: { 'a b': true } },
        missing: { blobId: fresh },
        extra: { blobId: fresh, mailboxIds: { [inbox]: true }, size: 3 },
        ok: { blobId: fresh, mailboxIds: { [inbox]: true } },
      },
    });
    expect(result['created']).toEqual({ ok: expect.objectContaining({ blobId: fresh }) });
    expect(result['notCreated']).toEqual({
      again: { type: 'alreadyExists', existingId: `E${message.slice(1)}` },
      image: { type: 'invalidEmail', description: 'the blob is not an Internet message (RFC 5322)' },
      noBlob: { type: 'invalidProperties', description: 'no such blob', properties: ['blobId'] },
      noMailbox: { type: 'invalidProperties', description: 'no such mailbox', properties: ['mailboxIds'] },
      noMailboxes: { type: 'invalidProperties', description: 'an Email is in at least one existing mailbox', properties: ['mailboxIds'] },
      badKeyword: { type: 'invalidProperties', description: 'not a valid keyword', properties: ['keywords'] },
      missing: { type: 'invalidProperties', description: 'Invalid input: expected record, received undefined', properties: ['mailboxIds'] },
      extra: { type: 'invalidProperties', description: 'Unrecognized key: "size"', properties: ['size'] },
    });
  });

  it('imports a message/rfc822 part by its part blob id as an Email of its own; other parts and unknown parts are refused', async () => {
    const forwarded = readFileSync(new URL('../../test/fixtures/mime-corpus/04-forwarded-rfc822.eml', import.meta.url));
    const outer = await upload(forwarded);
    const [, result] = await call('Email/import', {
      emails: {
        inner: { blobId: `${outer}_2`, mailboxIds: { [inbox]: true } },
        text: { blobId: `${outer}_1`, mailboxIds: { [inbox]: true } },
        noPart: { blobId: `${outer}_9`, mailboxIds: { [inbox]: true } },
      },
    });
    expect(result['notCreated']).toEqual({
      text: { type: 'invalidEmail', description: 'the blob is not an Internet message (RFC 5322)' },
      noPart: { type: 'invalidProperties', description: 'no such blob', properties: ['blobId'] },
    });
    const created = (result['created'] as Record<string, { id: string; blobId: string; size: number }>)['inner']!;
    expect(created.blobId).not.toBe(`${outer}_2`);
    const [, got] = await call('Email/get', { ids: [created.id], properties: ['subject', 'from', 'messageId', 'mailboxIds', 'size'] });
    const inner = forwarded.subarray(forwarded.indexOf('From: Frank'), forwarded.indexOf('\r\n--outer--'));
    expect(got['list']).toEqual([{ id: created.id, subject: 'Meeting notes', from: [{ name: 'Frank', email: 'frank@example.com' }], messageId: ['notes-1@example.com'], mailboxIds: { [inbox]: true }, size: inner.length }]);
    const download = await fetch(`${http.base}/jmap/download/${accountId}/${created.blobId}/m.eml?accept=message/rfc822`, { headers: { authorization: http.basic(ALICE) } });
    expect(Buffer.from(await download.arrayBuffer())).toEqual(Buffer.from(inner));
    // Bob cannot import Alice's part.
    const [, bobs] = await call('Email/import', { accountId: `A${imap.bob.userId}`, emails: { k: { blobId: `${outer}_2`, mailboxIds: { [inbox]: true } } } }, 'bob@example.test');
    expect(bobs).toMatchObject({ created: null, notCreated: { k: { type: 'invalidProperties', description: 'no such blob', properties: ['blobId'] } } });
  });

  it('ifInState that is not the state: stateMismatch, nothing imported', async () => {
    const blobId = await upload(Buffer.from('Subject: late\r\n\r\nx\r\n'));
    expect(await call('Email/import', { ifInState: '1', emails: { k: { blobId, mailboxIds: { [inbox]: true } } } })).toEqual(['error', { type: 'stateMismatch' }, 'c']);
    expect((await call('Email/get', { ids: [`E${blobId.slice(1)}`], properties: ['id'] }))[1]['notFound']).toEqual([`E${blobId.slice(1)}`]);
  });
});

describe('Email/parse', () => {
  it('reads an upload as an Email without storing it', async () => {
    const blobId = await upload(MIME);
    const [, result] = await call('Email/parse', { blobIds: [blobId], fetchTextBodyValues: true });
    const parsed = (result['parsed'] as Record<string, Record<string, unknown>>)[blobId]!;
    expect(parsed).toMatchObject({
      subject: 'Report attached', from: [{ name: 'Carol', email: 'carol@example.net' }], to: [{ name: null, email: 'bob@example.test' }], sentAt: '2026-11-05T19:30:01Z',
      hasAttachment: true, preview: 'The report you asked for is attached.', bodyValues: { '1.1': { value: 'The report you asked for is attached.\n', isEncodingProblem: false, isTruncated: false } },
      textBody: [{ partId: '1.1', blobId: `${blobId}_1_1`, type: 'text/plain' }], htmlBody: [{ partId: '1.2', blobId: `${blobId}_1_2`, type: 'text/html' }],
      attachments: [{ partId: '2', blobId: `${blobId}_2`, type: 'application/pdf', name: 'report Q3.pdf', disposition: 'attachment', cid: 'f_report_q3' }],
    });
    expect(Object.keys(parsed)).toEqual(['messageId', 'inReplyTo', 'references', 'sender', 'from', 'to', 'cc', 'bcc', 'replyTo', 'subject', 'sentAt', 'hasAttachment', 'preview', 'bodyValues', 'textBody', 'htmlBody', 'attachments']);
    expect((await call('Email/get', { ids: [`E${blobId.slice(1)}`], properties: ['id'] }))[1]['notFound']).toEqual([`E${blobId.slice(1)}`]);
  });

  it('answers null for what only a stored Email has, and sorts blobs into parsed, notParsable and notFound', async () => {
    const blobId = await upload(Buffer.from('Subject: meta\r\n\r\nx\r\n'));
    const png = await upload(PNG);
    expect(await call('Email/parse', { blobIds: [blobId, png, 'B999999', 'E1'], properties: ['id', 'blobId', 'threadId', 'mailboxIds', 'keywords', 'size', 'receivedAt', 'subject'] })).toEqual([
      'Email/parse',
      {
        accountId,
        parsed: { [blobId]: { id: null, blobId, threadId: null, mailboxIds: null, keywords: null, size: 20, receivedAt: null, subject: 'meta' } },
        notParsable: [png],
        notFound: ['B999999', 'E1'],
      },
      'c',
    ]);
  });

  it('refuses an unknown property', async () => {
    expect(await call('Email/parse', { blobIds: [], properties: ['subject', 'bodyStructureX'] })).toEqual(['error', { type: 'invalidArguments', description: 'unknown or unsupported property bodyStructureX' }, 'c']);
  });
});

describe('Email/copy', () => {
  it('has no other account to copy from or to', async () => {
    const bobAccount = `A${imap.bob.userId}`;
    const create = { k: { id: 'E1', mailboxIds: { [inbox]: true } } };
    expect(await call('Email/copy', { fromAccountId: bobAccount, create })).toEqual(['error', { type: 'fromAccountNotFound' }, 'c']);
    expect(await call('Email/copy', { fromAccountId: 'A999999', create })).toEqual(['error', { type: 'fromAccountNotFound' }, 'c']);
    expect(await call('Email/copy', { fromAccountId: accountId, accountId: bobAccount, create })).toEqual(['error', { type: 'accountNotFound' }, 'c']);
    expect(await call('Email/copy', { fromAccountId: accountId, create })).toEqual([
      'error', { type: 'invalidArguments', description: 'fromAccountId and accountId are the same account; Email/set moves Emails between its mailboxes' }, 'c',
    ]);
  });
});

describe('SearchSnippet/get', () => {
  let id: string;
  let bobsId: string;

  beforeAll(async () => {
    id = `E${(await upload(Buffer.from('Subject: Tom & Jerry <friends> plan\r\n\r\nWe meet at <noon>\r\nfor the secret plan & more.\r\n'))).slice(1)}`;
    await importOne({ blobId: `B${id.slice(1)}`, mailboxIds: { [inbox]: true } });
    const bob = await imap.accounts.authenticate('bob@example.test', PASSWORD);
    const bobInbox = (await imap.mailboxes.byRole(bob, 'inbox')).id;
    const rows = await imap.messages.append(bob, bobInbox, Buffer.from('Subject: bob plan\r\n\r\nbob secret plan\r\n'));
    bobsId = `E${(await imap.messages.emailRows(bob, { mailboxId: rows.mailboxId }))[0]!.blobId}`;
  });

  const snippets = async (filter: unknown, emailIds: string[]) => call('SearchSnippet/get', { filter, emailIds });

  it('marks the words of text in the subject and the body, HTML-escaped', async () => {
    expect(await snippets({ text: 'PLAN' }, [id])).toEqual([
      'SearchSnippet/get',
      { accountId, list: [{ emailId: id, subject: 'Tom &amp; Jerry &lt;friends&gt; <mark>plan</mark>', preview: 'at &lt;noon&gt; for the secret <mark>plan</mark> &amp; more.' }], notFound: null },
      'c',
    ]);
  });

  it('subject and body conditions mark only their part; under NOT nothing is marked', async () => {
    expect((await snippets({ operator: 'AND', conditions: [{ subject: 'jerry <' }, { body: '& MORE' }] }, [id]))[1]['list']).toEqual([
      { emailId: id, subject: 'Tom &amp; <mark>Jerry &lt;</mark>friends&gt; plan', preview: '&lt;noon&gt; for the secret plan <mark>&amp; more</mark>.' },
    ]);
    expect((await snippets({ operator: 'NOT', conditions: [{ text: 'plan' }] }, [id]))[1]['list']).toEqual([{ emailId: id, subject: null, preview: null }]);
    expect((await snippets({ inMailbox: inbox }, [id]))[1]['list']).toEqual([{ emailId: id, subject: null, preview: null }]);
  });

  it("another account's Email and unknown ids are notFound, with nothing of them", async () => {
    expect(await snippets({ text: 'plan' }, [bobsId, 'E999999', 'nope'])).toEqual(['SearchSnippet/get', { accountId, list: [], notFound: [bobsId, 'E999999', 'nope'] }, 'c']);
  });

  it('refuses filters Email/query would refuse', async () => {
    expect(await snippets({ sender: 'x' }, [id])).toEqual(['error', { type: 'unsupportedFilter', description: 'the filter sender is not supported' }, 'c']);
    expect(await snippets({ text: 3 }, [id])).toEqual(['error', { type: 'invalidArguments', description: 'text is a string' }, 'c']);
    expect(await snippets({ operator: 'XOR', conditions: [] }, [id])).toEqual(['error', { type: 'invalidArguments', description: 'a FilterOperator has an operator (AND, OR or NOT) and conditions' }, 'c']);
  });
});
