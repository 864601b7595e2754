// The JMAP body model over real HTTP (RFC 8621 §4.1.4, §4.2): bodyStructure, textBody, htmlBody
// and attachments by parseStructure, bodyValues decoded from their charsets and cut at a
// character boundary, part blobs that download decoded (and are nobody else's), attached
// messages read with Email/parse, and the header:{name}:as{Form} properties with their errors.
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UnlockedAccount } from '../../services/unlocked-account.js';
import { openJmapGateway, PASSWORD, type Jam, type JmapGateway } from '../../test/helpers/jmap-gateway.js';

let g: JmapGateway;
let jam: Jam;
let alice: UnlockedAccount;
let accountId: string;
let inbox: number;

const crlf = (lines: string[]): Buffer => Buffer.from(lines.join('\r\n'), 'latin1');
const b64 = (bytes: Buffer): string => bytes.toString('base64').replace(/.{76}/g, '$&\r\n');

const TEXT = 'Grüße aus Köln à bientôt';
const HTML = '<p>Grüße <img src="cid:logo@x"></p>';
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');
const PDF = Buffer.from(Array.from({ length: 300 }, (_, i) => i % 256));
const INNER = 'From: Frank <frank@example.com>\r\nSubject: Inner\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nInner body ✓';
const RICH = Buffer.concat([crlf([
  'From: =?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <juergen@example.net>',
  'To: Friends: anna@example.net, "Ben B." <ben@example.net>;, carl@example.net',
  'Subject: =?iso-8859-1?q?Caf=E9?= =?utf-8?b?4piV?= time',
  'Date: Tue, 10 Nov 2026 09:15:00 -0500',
  'Message-ID: <rich-1@example.net>',
  'References: <a@example.net> (a comment) <b@example.net>',
  'List-Unsubscribe: <mailto:leave@example.net>, <https://example.net/leave>',
  'Received: from a.example.net by b.example.net; Tue, 10 Nov 2026 14:15:02 +0000',
  'Received: from c.example.net by a.example.net; Tue, 10 Nov 2026 14:15:01 +0000',
  'X-Folded: first',
  ' second',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="mix"',
  '',
  '--mix',
  'Content-Type: multipart/related; boundary="rel"',
  '',
  '--rel',
  'Content-Type: multipart/alternative; boundary="alt"',
  '',
  '--alt',
  'Content-Type: text/plain; charset=iso-8859-1',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  'Gr=FC=DFe aus K=F6ln =E0 bient=F4t',
  '--alt',
  'Content-Type: text/html; charset=iso-8859-1',
  'Content-Transfer-Encoding: base64',
  '',
  b64(Buffer.from(HTML, 'latin1')),
  '--alt--',
  '--rel',
  'Content-Type: image/png',
  'Content-ID: <logo@x>',
  'Content-Disposition: inline',
  'Content-Transfer-Encoding: base64',
  '',
  b64(PNG),
  '--rel--',
  '--mix',
  'Content-Type: application/pdf',
  "Content-Disposition: attachment; filename*=utf-8''R%C3%A9sum%C3%A9%20final.pdf",
  'Content-Language: fr, en',
  'Content-Transfer-Encoding: base64',
  '',
  b64(PDF),
  '--mix',
  'Content-Type: message/rfc822',
  '',
  '',
]), Buffer.from(INNER), crlf(['', '--mix--', ''])]);

/** An image between two texts of a multipart/mixed: shown inline in both bodies, not an attachment. */
const INLINE_IMAGE = crlf([
  'From: a@example.net', 'Subject: inline', 'Content-Type: multipart/mixed; boundary="b"', '',
  '--b', 'Content-Type: text/plain', '', 'before', '--b', 'Content-Type: image/jpeg', 'Content-Transfer-Encoding: base64', '', 'AAEC', '--b', 'Content-Type: text/plain', '', 'after', '--b--', '',
]);
/** Bytes that are not UTF-8 in a UTF-8 part, and a charset nobody knows. */
const BAD_CHARSETS = Buffer.concat([
  crlf(['From: a@example.net', 'Subject: bad', 'Content-Type: multipart/mixed; boundary="b"', '', '--b', 'Content-Type: text/plain; charset=utf-8', '', 'ok ']),
  Buffer.from([0xff, 0xfe]),
  crlf(['', '--b', 'Content-Type: text/plain; charset=x-no-such-charset', 'Content-Disposition: inline', '', 'plain words', '--b--', '']),
]);

const blob: Record<string, number> = {};

beforeAll(async () => {
  g = await openJmapGateway();
  alice = await g.accounts.authenticate('alice@example.test', PASSWORD);
  inbox = (await g.mailboxes.list(alice)).find((m) => m.role === 'inbox')!.id;
  for (const [name, raw] of Object.entries({ RICH, INLINE_IMAGE, BAD_CHARSETS })) blob[name] = (await g.messages.append(alice, inbox, raw)).blobId;
  jam = g.jam();
  accountId = g.alice.accountId;
});

afterAll(async () => {
  alice.lock();
  await g.dispose();
});

async function get(args: Record<string, unknown>, as?: Jam): Promise<Record<string, unknown>> {
  const [r] = await (as ?? jam).request(['Email/get', { accountId, ...args }]);
  return r;
}

async function one(name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const r = await get({ ids: [`E${blob[name]}`], ...args });
  return (r['list'] as Array<Record<string, unknown>>)[0]!;
}

async function call(name: string, args: Record<string, unknown>, as = 'alice@example.test'): Promise<unknown> {
  const r = await g.post({ using: ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail'], methodCalls: [[name, args, 'c']] }, { authorization: g.basic(as) });
  return (r.json as { methodResponses: unknown[] }).methodResponses[0];
}

async function download(blobId: string, as = 'alice@example.test', account = accountId): Promise<{ status: number; bytes: Buffer }> {
  const r = await fetch(`${g.base}/jmap/download/${account}/${blobId}/f.bin`, { headers: { authorization: g.basic(as) } });
  return { status: r.status, bytes: Buffer.from(await r.arrayBuffer()) };
}

const part = (fields: Record<string, unknown>) => ({ name: null, charset: null, disposition: null, cid: null, language: null, location: null, ...fields });

describe('body structure', () => {
  it('serves bodyStructure, textBody, htmlBody and attachments as parseStructure finds them', async () => {
    const B = `B${blob['RICH']}`;
    const text = part({ partId: '1.1.1', blobId: `${B}_1_1_1`, size: Buffer.byteLength(TEXT, 'latin1'), type: 'text/plain', charset: 'iso-8859-1' });
    const html = part({ partId: '1.1.2', blobId: `${B}_1_1_2`, size: Buffer.byteLength(HTML, 'latin1'), type: 'text/html', charset: 'iso-8859-1' });
    const png = part({ partId: '1.2', blobId: `${B}_1_2`, size: PNG.length, type: 'image/png', disposition: 'inline', cid: 'logo@x' });
    const pdf = part({ partId: '2', blobId: `${B}_2`, size: PDF.length, type: 'application/pdf', name: 'Résumé final.pdf', disposition: 'attachment', language: ['fr', 'en'] });
    const rfc822 = part({ partId: '3', blobId: `${B}_3`, size: Buffer.byteLength(INNER), type: 'message/rfc822' });
    const multipart = (type: string, size: number, subParts: unknown[]) => part({ partId: null, blobId: null, size, type, subParts });
    const email = await one('RICH', { properties: ['bodyStructure', 'textBody', 'htmlBody', 'attachments', 'hasAttachment'] });
    const structure = email['bodyStructure'] as { size: number; subParts: Array<{ size: number; subParts: Array<{ size: number }> }> };
    expect(email).toEqual({
      id: `E${blob['RICH']}`,
      bodyStructure: multipart('multipart/mixed', structure.size, [
        multipart('multipart/related', structure.subParts[0]!.size, [multipart('multipart/alternative', structure.subParts[0]!.subParts[0]!.size, [text, html]), png]),
        pdf,
        rfc822,
      ]),
      textBody: [text],
      htmlBody: [html],
      attachments: [png, pdf, rfc822],
      hasAttachment: true,
    });
  });

  it('puts an inline image between texts of a multipart/mixed in both bodies and not in attachments', async () => {
    const email = await one('INLINE_IMAGE', { properties: ['textBody', 'htmlBody', 'attachments'], bodyProperties: ['partId', 'type'] });
    const body = [{ partId: '1', type: 'text/plain' }, { partId: '2', type: 'image/jpeg' }, { partId: '3', type: 'text/plain' }];
    expect(email).toEqual({ id: `E${blob['INLINE_IMAGE']}`, textBody: body, htmlBody: body, attachments: [] });
  });

  it('returns the bodyProperties asked for, header forms of each part included', async () => {
    const email = await one('RICH', { properties: ['attachments'], bodyProperties: ['partId', 'headers', 'header:Content-Disposition', 'header:Content-Type:asText', 'subParts'] });
    expect((email['attachments'] as unknown[])[1]).toEqual({
      partId: '2',
      headers: [
        { name: 'Content-Type', value: ' application/pdf' },
        { name: 'Content-Disposition', value: " attachment; filename*=utf-8''R%C3%A9sum%C3%A9%20final.pdf" },
        { name: 'Content-Language', value: ' fr, en' },
        { name: 'Content-Transfer-Encoding', value: ' base64' },
      ],
      'header:Content-Disposition': " attachment; filename*=utf-8''R%C3%A9sum%C3%A9%20final.pdf",
      'header:Content-Type:asText': 'application/pdf',
      subParts: null,
    });
  });
});

describe('body values', () => {
  it('decodes quoted-printable and base64 ISO-8859-1 parts, text and HTML as asked', async () => {
    const ok = (value: string) => ({ value, isEncodingProblem: false, isTruncated: false });
    expect((await one('RICH', { properties: ['bodyValues'], fetchTextBodyValues: true }))['bodyValues']).toEqual({ '1.1.1': ok(TEXT) });
    expect((await one('RICH', { properties: ['bodyValues'], fetchHTMLBodyValues: true }))['bodyValues']).toEqual({ '1.1.2': ok(HTML) });
    expect((await one('RICH', { properties: ['bodyValues'], fetchAllBodyValues: true }))['bodyValues']).toEqual({ '1.1.1': ok(TEXT), '1.1.2': ok(HTML) });
    expect((await one('RICH', { properties: ['bodyValues'] }))['bodyValues']).toEqual({});
  });

  it('cuts at maxBodyValueBytes without splitting a character or an HTML tag', async () => {
    // "Grü" is 4 bytes of UTF-8: 3 bytes would split the ü.
    const values = (await one('RICH', { properties: ['bodyValues'], fetchAllBodyValues: true, maxBodyValueBytes: 3 }))['bodyValues'];
    expect(values).toEqual({ '1.1.1': { value: 'Gr', isEncodingProblem: false, isTruncated: true }, '1.1.2': { value: '<p>', isEncodingProblem: false, isTruncated: true } });
    const html = (await one('RICH', { properties: ['bodyValues'], fetchHTMLBodyValues: true, maxBodyValueBytes: 15 }))['bodyValues'];
    expect(html).toEqual({ '1.1.2': { value: '<p>Grüße ', isEncodingProblem: false, isTruncated: true } });
  });

  it('says isEncodingProblem for bytes the charset does not have and for an unknown charset', async () => {
    const values = (await one('BAD_CHARSETS', { properties: ['bodyValues'], fetchTextBodyValues: true }))['bodyValues'];
    expect(values).toEqual({
      1: { value: 'ok \ufffd\ufffd', isEncodingProblem: true, isTruncated: false },
      2: { value: 'plain words', isEncodingProblem: true, isTruncated: false },
    });
  });
});

describe('part blobs', () => {
  it('downloads each part decoded, and an attached message reads with Email/parse, its parts downloadable too', async () => {
    const B = `B${blob['RICH']}`;
    expect(await download(`${B}_2`)).toEqual({ status: 200, bytes: PDF });
    expect(await download(`${B}_1_2`)).toEqual({ status: 200, bytes: PNG });
    expect(await download(`${B}_1_1_1`)).toEqual({ status: 200, bytes: Buffer.from(TEXT, 'latin1') });
    expect(await download(`${B}_3`)).toEqual({ status: 200, bytes: Buffer.from(INNER) });
    expect((await download(`${B}_4`)).status).toBe(404);
    expect((await download(`${B}_1`)).status).toBe(404); // a multipart part has no blob
    const [, parsed] = (await call('Email/parse', { accountId, blobIds: [`${B}_3`], properties: ['blobId', 'size', 'subject', 'from', 'textBody'], bodyProperties: ['partId', 'blobId', 'size'] })) as [string, Record<string, unknown>];
    expect(parsed['parsed']).toEqual({
      [`${B}_3`]: { blobId: `${B}_3`, size: Buffer.byteLength(INNER), subject: 'Inner', from: [{ name: 'Frank', email: 'frank@example.com' }], textBody: [{ partId: '1', blobId: `${B}_3_1`, size: Buffer.byteLength('Inner body ✓') }] },
    });
    expect(await download(`${B}_3_1`)).toEqual({ status: 200, bytes: Buffer.from('Inner body ✓') });
    expect(await call('Blob/copy', { fromAccountId: accountId, accountId, blobIds: [`${B}_2`, `${B}_9`] })).toEqual([
      'Blob/copy', { fromAccountId: accountId, accountId, copied: { [`${B}_2`]: `${B}_2` }, notCopied: { [`${B}_9`]: { type: 'notFound' } } }, 'c',
    ]);
  });

  it('forwards an attachment by its part blob id in Email/set create', async () => {
    const [r] = await jam.request(['Email/set', {
      accountId,
      create: {
        fwd: {
          mailboxIds: { [`M${inbox}`]: true }, subject: 'Fwd', textBody: [{ partId: 't', type: 'text/plain' }], bodyValues: { t: { value: 'Attached.' } },
          attachments: [{ blobId: `B${blob['RICH']}_2`, type: 'application/pdf', name: 'fwd.pdf' }],
        },
      },
    }]);
    const created = (r['created'] as Record<string, { id: string }>)['fwd']!;
    const [got] = await jam.request(['Email/get', { accountId, ids: [created.id], properties: ['attachments'], bodyProperties: ['blobId', 'name', 'size'] }]);
    const [attachment] = (got['list'] as Array<{ attachments: Array<{ blobId: string; name: string; size: number }> }>)[0]!.attachments;
    expect({ name: attachment!.name, size: attachment!.size }).toEqual({ name: 'fwd.pdf', size: PDF.length });
    expect(await download(attachment!.blobId)).toEqual({ status: 200, bytes: PDF });
  });

  it("gives another user nothing of alice's parts: 404 and notFound", async () => {
    const id = `B${blob['RICH']}_2`;
    const bobAccount = g.bob.accountId;
    expect((await download(id, 'bob@example.test', bobAccount)).status).toBe(404);
    expect((await download(id, 'bob@example.test', accountId)).status).toBe(404);
    expect(await call('Email/parse', { accountId: bobAccount, blobIds: [`B${blob['RICH']}_3`] }, 'bob@example.test')).toEqual([
      'Email/parse', { accountId: bobAccount, parsed: null, notParsable: null, notFound: [`B${blob['RICH']}_3`] }, 'c',
    ]);
    expect(await call('Blob/copy', { fromAccountId: bobAccount, accountId: bobAccount, blobIds: [id] }, 'bob@example.test')).toEqual([
      'Blob/copy', { fromAccountId: bobAccount, accountId: bobAccount, copied: null, notCopied: { [id]: { type: 'notFound' } } }, 'c',
    ]);
  });
});

describe('header properties', () => {
  it('serves every form, the last instance or all of them, null when absent', async () => {
    const props = [
      'header:Subject:asText', 'header:Subject', 'header:From:asAddresses', 'header:To:asGroupedAddresses', 'header:To:asAddresses', 'header:Received:all', 'header:received',
      'header:References:asMessageIds', 'header:Date:asDate', 'header:List-Unsubscribe:asURLs', 'header:X-Folded', 'header:X-Folded:asText', 'header:X-Missing', 'header:X-Missing:asText:all',
      'subject', 'from', 'to', 'sentAt', 'references',
    ];
    const email = await one('RICH', { properties: props });
    const to = [{ name: null, email: 'anna@example.net' }, { name: 'Ben B.', email: 'ben@example.net' }, { name: null, email: 'carl@example.net' }];
    expect(email).toEqual({
      id: `E${blob['RICH']}`,
      'header:Subject:asText': 'Café☕ time',
      'header:Subject': ' =?iso-8859-1?q?Caf=E9?= =?utf-8?b?4piV?= time',
      'header:From:asAddresses': [{ name: 'Jürgen Müller', email: 'juergen@example.net' }],
      'header:To:asGroupedAddresses': [{ name: 'Friends', addresses: to.slice(0, 2) }, { name: null, addresses: to.slice(2) }],
      'header:To:asAddresses': to,
      'header:Received:all': [' from a.example.net by b.example.net; Tue, 10 Nov 2026 14:15:02 +0000', ' from c.example.net by a.example.net; Tue, 10 Nov 2026 14:15:01 +0000'],
      'header:received': ' from c.example.net by a.example.net; Tue, 10 Nov 2026 14:15:01 +0000',
      'header:References:asMessageIds': ['a@example.net', 'b@example.net'],
      'header:Date:asDate': '2026-11-10T09:15:00-05:00',
      'header:List-Unsubscribe:asURLs': ['mailto:leave@example.net', 'https://example.net/leave'],
      'header:X-Folded': ' first\r\n second',
      'header:X-Folded:asText': 'first second',
      'header:X-Missing': null,
      'header:X-Missing:asText:all': [],
      subject: 'Café☕ time',
      from: [{ name: 'Jürgen Müller', email: 'juergen@example.net' }],
      to,
      sentAt: '2026-11-10T14:15:00Z',
      references: ['a@example.net', 'b@example.net'],
    });
    const headers = (await one('RICH', { properties: ['headers'] }))['headers'] as Array<{ name: string; value: string }>;
    expect(headers.length).toBe(12);
    expect(headers.slice(9, 11)).toEqual([{ name: 'X-Folded', value: ' first\r\n second' }, { name: 'MIME-Version', value: ' 1.0' }]);
  });

  it('refuses an unknown form or one the field does not allow, on Email/get, Email/parse and in bodyProperties', async () => {
    const ids = [`E${blob['RICH']}`];
    for (const p of ['header:Subject:asAddresses', 'header:From:asDate', 'header:X-Foo:asBogus', 'header:Received:asText', 'header:Date:asText:all:all', 'header::asText']) {
      expect(await call('Email/get', { accountId, ids, properties: [p] })).toEqual(['error', { type: 'invalidArguments', description: `unknown or unsupported property ${p}` }, 'c']);
    }
    expect(await call('Email/parse', { accountId, blobIds: [`B${blob['RICH']}`], properties: ['header:Message-ID:asURLs'] })).toEqual([
      'error', { type: 'invalidArguments', description: 'unknown or unsupported property header:Message-ID:asURLs' }, 'c',
    ]);
    expect(await call('Email/get', { accountId, ids, properties: ['textBody'], bodyProperties: ['partId', 'header:Content-Type:asNope'] })).toEqual([
      'error', { type: 'invalidArguments', description: 'unknown or unsupported body property header:Content-Type:asNope' }, 'c',
    ]);
  });
});

describe('header-only reads', () => {
  const CORPUS = new URL('../../test/fixtures/mime-corpus/', import.meta.url);
  const HEADER_ONLY = ['messageId', 'inReplyTo', 'references', 'sender', 'from', 'to', 'cc', 'bcc', 'replyTo', 'subject', 'sentAt', 'preview', 'hasAttachment', 'headers', 'header:Subject:asText', 'header:List-Id:asText'];

  it('answers header properties, preview and hasAttachment alike without and with the body, for the whole corpus', async () => {
    const ids: string[] = [];
    for (const file of readdirSync(CORPUS).filter((f) => f.endsWith('.eml')).sort()) {
      ids.push(`E${(await g.messages.append(alice, inbox, readFileSync(new URL(file, CORPUS)))).blobId}`);
    }
    const headerOnly = await get({ ids, properties: HEADER_ONLY });
    const whole = await get({ ids, properties: [...HEADER_ONLY, 'textBody'] });
    const list = whole['list'] as Array<Record<string, unknown>>;
    expect(list.length).toBe(ids.length);
    expect(headerOnly['list']).toEqual(list.map(({ textBody: _, ...rest }) => rest));
  });
});
