// A corpus of real-world message shapes: each converts without throwing, validates against the
// schema and keeps `mime` byte-exact; attachment CIDs and hashes are checked against values
// computed independently (node:crypto, multiformats' own hasher, and the well-known empty CID).
import { createHash } from 'node:crypto';
import { CID } from 'multiformats/cid';
import * as raw from 'multiformats/codecs/raw';
import { sha256 } from 'multiformats/hashes/sha2';
import { describe, expect, it } from 'vitest';
import { MessageContentSchema, Limits } from '../core/index.js';
import { contentDerivedAttachmentKey } from './attachments.js';
import { ConverterError } from './errors.js';
import { MimeLimits } from './limits.js';
import { mimeToContent } from './mime-to-content.js';

const crlf = (...lines: string[]): Buffer => Buffer.from(lines.join('\r\n'), 'utf8');

const PDF_BYTES = Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n', 'latin1');

const corpus: Record<string, Buffer> = {
  plain: crlf(
    'Return-Path: <alice@example.org>',
    'From: Alice <alice@example.org>',
    'To: bob@example.net',
    'Subject: Lunch tomorrow?',
    'Date: Tue, 03 Mar 2026 10:00:00 +0100',
    'Message-ID: <CAF=abc123@mail.example.org>',
    'In-Reply-To: <Parent-1@example.net>',
    'References: <Root-0@example.net>',
    ' <Parent-1@example.net>',
    '',
    'Hi Bob,',
    '',
    'noon at the usual place?',
    '',
  ),
  alternative: crlf(
    'From: news@example.com',
    'Subject: Newsletter',
    'Message-ID: <n1@example.com>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/alternative; boundary="alt-42"',
    '',
    '--alt-42',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    'Caf=C3=A9 opens at nine. This line is soft-=',
    'wrapped.',
    '--alt-42',
    'Content-Type: text/html; charset=utf-8',
    '',
    '<p>Caf&eacute; opens at <b>nine</b>.</p>',
    '--alt-42--',
    '',
  ),
  mixed: Buffer.concat([
    crlf(
      'From: carol@example.org',
      'Subject: Invoice',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="mix"',
      '',
      '--mix',
      'Content-Type: text/plain; charset=us-ascii',
      '',
      'Invoice attached.',
      '--mix',
      'Content-Type: application/pdf; name="invoice 2026.pdf"',
      'Content-Disposition: attachment; filename="invoice 2026.pdf"',
      'Content-Transfer-Encoding: base64',
      '',
      PDF_BYTES.toString('base64'),
      '--mix',
      'Content-Type: application/octet-stream',
      'Content-Disposition: attachment',
      'Content-Transfer-Encoding: base64',
      '',
      '',
      '--mix--',
      '',
    ),
  ]),
  forwarded: crlf(
    'From: dave@example.org',
    'Subject: Fwd: original',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="fwd"',
    '',
    '--fwd',
    'Content-Type: text/plain',
    '',
    'See the message below.',
    '--fwd',
    'Content-Type: message/rfc822',
    '',
    'From: erin@example.org',
    'Subject: original',
    'Message-ID: <inner@example.org>',
    '',
    'Inner body.',
    '--fwd--',
    '',
  ),
  encodedWords: crlf(
    'From: =?ISO-8859-1?Q?Fran=E7ois?= <f@example.fr>',
    'Subject: =?ISO-8859-1?Q?Caf=E9_cr=E8me?= and =?UTF-8?B?5pel5pys6Kqe?=',
    ' =?UTF-8?B?44OG44K544OI?=',
    '',
    'body',
    '',
  ),
  smtputf8: crlf(
    'From: Jörg Müller <jörg@bücher.example>',
    'To: 山田 <yamada@例え.jp>',
    'Subject: Grüße aus Köln — 日本語',
    'Message-ID: <ÜNICODE-id@bücher.example>',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    'Schöne Grüße, 🎉',
    '',
  ),
  latin1EightBit: Buffer.concat([
    crlf('Subject: 8bit latin-1', 'Content-Type: text/plain; charset=iso-8859-1', 'Content-Transfer-Encoding: 8bit', '', 'Caf'),
    Buffer.from([0xe9, 0x0d, 0x0a]),
  ]),
  brokenBoundary: crlf(
    'Subject: truncated',
    'Content-Type: multipart/mixed; boundary="never-closed"',
    '',
    '--never-closed',
    'Content-Type: text/plain',
    '',
    'Part one survives.',
    '--never-closed',
    'Content-Type: image/png; name="dot.png"',
    'Content-Transfer-Encoding: base64',
    '',
    'iVBORw0KGgo=',
  ),
  htmlOnly: crlf('Subject: html', 'Content-Type: text/html; charset=utf-8', '', '<p>Hello <b>you</b></p><p>second</p>', ''),
  attachmentOnly: crlf(
    'Subject: scan',
    'Content-Type: multipart/mixed; boundary="b"',
    '',
    '--b',
    'Content-Type: Weird; name="scan.bin"',
    'Content-Disposition: attachment; filename="scan.bin"',
    '',
    'data',
    '--b--',
    '',
  ),
  bareLf: Buffer.from('Subject: unix\nMessage-ID: <lf@example.org>\n\nline one\nline two\n'),
  noHeaders: Buffer.from('just some text without headers'),
  empty: Buffer.alloc(0),
  binaryGarbage: Buffer.from([0x00, 0xff, 0xfe, 0x0d, 0x0a, 0x0d, 0x0a, 0x80, 0x81]),
};

describe('mimeToContent corpus', () => {
  it.each(Object.keys(corpus))('%s converts, validates and keeps mime byte-exact', async (name) => {
    const bytes = corpus[name]!;
    const content = await mimeToContent(new Uint8Array(bytes));
    expect(MessageContentSchema.safeParse(content).success).toBe(true);
    expect(content.mime).toBeDefined();
    expect(Buffer.from(content.mime!, 'base64').equals(bytes)).toBe(true);
    expect(content.formatting).toBe('plain');
  });

  it('plain: subject, body and thread ids (lowercase, no brackets)', async () => {
    const c = await mimeToContent(corpus.plain!);
    expect(c).toMatchObject({
      type: 'text',
      subject: 'Lunch tomorrow?',
      body: 'Hi Bob,\n\nnoon at the usual place?\n',
      replyTo: 'parent-1@example.net',
      threadId: 'root-0@example.net',
    });
    expect(c.attachments).toBeUndefined();
  });

  it('alternative: the text/plain part is the body, quoted-printable decoded', async () => {
    const c = await mimeToContent(corpus.alternative!);
    expect(c.body).toBe('Café opens at nine. This line is soft-wrapped.');
    expect(c.threadId).toBe('n1@example.com');
    expect(c.replyTo).toBeUndefined();
  });

  it('mixed: attachments with CID and sha256 computed independently', async () => {
    const c = await mimeToContent(corpus.mixed!);
    expect(c.type).toBe('text');
    expect(c.body).toBe('Invoice attached.');
    const [pdf, empty] = c.attachments!;
    const pdfSha = createHash('sha256').update(PDF_BYTES).digest('hex');
    expect(pdf).toEqual({
      ipfsHash: CID.createV1(raw.code, await sha256.digest(PDF_BYTES)).toString(),
      filename: 'invoice 2026.pdf',
      size: PDF_BYTES.length,
      mimeType: 'application/pdf',
      encryptionKey: contentDerivedAttachmentKey(0, pdfSha),
      algorithm: 'ChaCha20-Poly1305',
      checksums: { sha256: pdfSha },
    });
    // The empty file has a well-known CIDv1 (raw, sha256).
    expect(empty).toMatchObject({
      ipfsHash: 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku',
      filename: 'attachment-2',
      size: 0,
      checksums: { sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' },
    });
  });

  it('forwarded message/rfc822 is an attachment of the whole inner message', async () => {
    const c = await mimeToContent(corpus.forwarded!);
    expect(c.body).toBe('See the message below.');
    expect(c.attachments).toHaveLength(1);
    expect(c.attachments![0]).toMatchObject({ filename: 'attachment-1', mimeType: 'message/rfc822' });
  });

  it('RFC 2047 encoded-words in other charsets are decoded, adjacent words joined', async () => {
    expect((await mimeToContent(corpus.encodedWords!)).subject).toBe('Café crème and 日本語テスト');
  });

  it('SMTPUTF8: raw UTF-8 headers and 8bit body', async () => {
    const c = await mimeToContent(corpus.smtputf8!);
    expect(c.subject).toBe('Grüße aus Köln — 日本語');
    expect(c.body).toBe('Schöne Grüße, 🎉\n');
    expect(c.threadId).toBe('ünicode-id@bücher.example');
  });

  it('8bit latin-1 body is decoded by its charset while mime keeps the raw byte', async () => {
    const c = await mimeToContent(corpus.latin1EightBit!);
    expect(c.body).toBe('Café\n');
    expect(Buffer.from(c.mime!, 'base64').includes(0xe9)).toBe(true);
  });

  it('broken MIME (no closing boundary): text and attachment are recovered', async () => {
    const c = await mimeToContent(corpus.brokenBoundary!);
    expect(c.body).toBe('Part one survives.');
    expect(c.attachments?.[0]).toMatchObject({ filename: 'dot.png', mimeType: 'image/png', size: 8 });
  });

  it('HTML only: body is the text rendering, HTML stays in mime', async () => {
    const c = await mimeToContent(corpus.htmlOnly!);
    expect(c.body).toBe('Hello you\n\nsecond');
    expect(c.formatting).toBe('plain');
  });

  it("attachments and a blank body make type 'file'; an invalid content type falls back", async () => {
    const c = await mimeToContent(corpus.attachmentOnly!);
    expect(c.type).toBe('file');
    expect(c.attachments![0]).toMatchObject({ filename: 'scan.bin', mimeType: 'application/octet-stream', size: 4 });
  });

  it('bare LF messages and messages without headers or content still convert', async () => {
    expect(await mimeToContent(corpus.bareLf!)).toMatchObject({ subject: 'unix', body: 'line one\nline two\n', threadId: 'lf@example.org' });
    expect(await mimeToContent(corpus.empty!)).toEqual({ type: 'text', body: '', formatting: 'plain', mime: '' });
  });
});

describe('mimeToContent limits', () => {
  it('cuts an over-long subject, message ids and filename to the schema limits', async () => {
    const longId = `${'x'.repeat(200)}@example.org`;
    const c = await mimeToContent(
      crlf(
        `Subject: ${'s'.repeat(2000)}`,
        `Message-ID: <${longId}>`,
        'Content-Type: multipart/mixed; boundary="b"',
        '',
        '--b',
        `Content-Type: text/plain; name="${'n'.repeat(300)}.txt"`,
        'Content-Disposition: attachment',
        '',
        'x',
        '--b--',
        '',
      ),
    );
    expect(c.subject).toHaveLength(Limits.MAX_SUBJECT_CHARS);
    expect(c.threadId).toBe(longId.slice(0, 128));
    expect(c.attachments![0]!.filename).toHaveLength(255);
  });

  it('does not split a surrogate pair when cutting the subject', async () => {
    const c = await mimeToContent(crlf(`Subject: ${'a'.repeat(997)}🎉`, '', ''));
    expect(c.subject).toBe('a'.repeat(997));
  });

  it('cuts the body at MAX_BODY_BYTES of UTF-8 at a character boundary', async () => {
    const body = 'é'.repeat(MimeLimits.MAX_BODY_BYTES); // 2 bytes each
    const c = await mimeToContent(crlf('Content-Type: text/plain; charset=utf-8', '', body));
    expect(c.body).toBe('é'.repeat(MimeLimits.MAX_BODY_BYTES / 2));
  });

  it('keeps only the first 100 attachments; the rest stay in mime', async () => {
    const parts = Array.from({ length: 101 }, (_, i) => [
      '--b',
      `Content-Type: text/plain; name="f${i}.txt"`,
      'Content-Disposition: attachment',
      '',
      `file ${i}`,
    ]).flat();
    const c = await mimeToContent(crlf('Content-Type: multipart/mixed; boundary="b"', '', ...parts, '--b--', ''));
    expect(c.attachments).toHaveLength(Limits.MAX_ATTACHMENTS);
    expect(c.attachments![99]!.filename).toBe('f99.txt');
  });

  it('keeps what the parser gives up on (over 1 MiB of header lines, 2,000 parts) whole in mime, with its subject', async () => {
    const manyHeaders = crlf('Subject: =?utf-8?q?many_h=C3=A9aders?=', ...Array.from({ length: 20_000 }, (_, i) => `X-Filler-${i}: ${'x'.repeat(40)}`), '', 'body');
    const manyParts = crlf(
      'Subject: many parts',
      'Content-Type: multipart/mixed; boundary="b"',
      '',
      ...Array.from({ length: 2_000 }, (_, i) => ['--b', 'Content-Type: text/plain', '', `part ${i}`]).flat(),
      '--b--',
      '',
    );
    for (const [raw, subject] of [[manyHeaders, 'many héaders'], [manyParts, 'many parts']] as const) {
      const c = await mimeToContent(raw);
      expect(c).toEqual({ type: 'text', subject, body: '', formatting: 'plain', mime: Buffer.from(raw).toString('base64') });
    }
  });

  it('rejects a message over MAX_MIME_BYTES with oversize', async () => {
    const err = await mimeToContent(new Uint8Array(MimeLimits.MAX_MIME_BYTES + 1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConverterError);
    expect((err as ConverterError).message).toBe(
      `oversize: message is ${MimeLimits.MAX_MIME_BYTES + 1} bytes, the limit is ${MimeLimits.MAX_MIME_BYTES}`,
    );
  });

  it('a converted message of the largest accepted size fits the content limit', () => {
    // JSON (RFC 8785) costs at most 6 bytes per UTF-16 code unit (a control char as \u00XX),
    // so: mime as base64 + body + capped fields, each at worst case, plus the field names.
    const mimeChars = Math.ceil(MimeLimits.MAX_MIME_BYTES / 3) * 4;
    const attachment = 6 * MimeLimits.MAX_FILENAME_CHARS + MimeLimits.MAX_MIME_TYPE_CHARS + 128 + 64 + 64 + 200;
    const fields = 6 * (Limits.MAX_SUBJECT_CHARS + 2 * MimeLimits.MAX_MESSAGE_ID_CHARS) + Limits.MAX_ATTACHMENTS * attachment + 200;
    expect(mimeChars + 6 * MimeLimits.MAX_BODY_BYTES + fields).toBeLessThan(Limits.MAX_CONTENT_BYTES);
  });
});

describe('mimeToContent attachment keys', () => {
  it('uses the caller key function, called with the index and the sha256', async () => {
    const calls: [number, string][] = [];
    const c = await mimeToContent(corpus.mixed!, {
      attachmentKey: (i, sha) => {
        calls.push([i, sha]);
        return String(i).repeat(64);
      },
    });
    expect(c.attachments!.map((a) => a.encryptionKey)).toEqual(['0'.repeat(64), '1'.repeat(64)]);
    expect(calls.map(([i]) => i)).toEqual([0, 1]);
    expect(calls[0]![1]).toBe(c.attachments![0]!.checksums.sha256);
  });

  it('the default key is deterministic and differs per file', () => {
    const a = contentDerivedAttachmentKey(0, 'aa'.repeat(32));
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(contentDerivedAttachmentKey(5, 'aa'.repeat(32))).toBe(a);
    expect(contentDerivedAttachmentKey(0, 'bb'.repeat(32))).not.toBe(a);
  });
});
