// The MIME builder: exact bytes for mail that arrived as MIME, a well-formed RFC 5322 message
// for native LNMP content, and round trips content → MIME → content.
import fc from 'fast-check';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { toBase64, type MessageContent } from '../core/index.js';
import { contentToMime, normaliseBodyText, type ContentToMimeOptions } from './content-to-mime.js';
import { ConverterError } from './errors.js';
import { mimeToContent } from './mime-to-content.js';

const OPTS: ContentToMimeOptions = {
  from: { name: 'Alice Example', address: 'alice#x7Kp2Q@lnmp.example' },
  to: ['bob@example.net'],
  date: new Date(Date.UTC(2026, 2, 3, 9, 5, 7)),
  messageId: 'a1b2c3',
};

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

describe('contentToMime with the original MIME', () => {
  const original = Buffer.from('Subject: hi\r\nFrom: x@example.org\r\n\r\nbody \xff\r\n', 'latin1');
  const content: MessageContent = { type: 'text', body: 'body', mime: toBase64(original) };

  it('returns the original bytes unchanged', () => {
    expect(Buffer.from(contentToMime(content, OPTS)).equals(original)).toBe(true);
  });

  it('prepends Authentication-Results and nothing else', () => {
    const out = Buffer.from(contentToMime(content, { ...OPTS, authResults: 'gw.example; lnmp=pass' }));
    const header = Buffer.from('Authentication-Results: gw.example; lnmp=pass\r\n');
    expect(out.equals(Buffer.concat([header, original]))).toBe(true);
  });

  it('uses bare LF for the added header when the original uses bare LF', () => {
    const lf = Buffer.from('Subject: unix\n\nbody\n');
    const out = contentToMime({ type: 'text', body: '', mime: toBase64(lf) }, { ...OPTS, authResults: 'gw.example; lnmp=pass' });
    expect(text(out)).toBe('Authentication-Results: gw.example; lnmp=pass\nSubject: unix\n\nbody\n');
  });
});

describe('contentToMime for native LNMP content', () => {
  it('writes an RFC 5322 message with CRLF line endings', () => {
    const out = contentToMime(
      { type: 'text', subject: 'Hello there', body: 'Line one\nLine two', replyTo: 'parent', threadId: 'root@example.org' },
      { ...OPTS, authResults: 'gw.example; lnmp=pass' },
    );
    expect(text(out)).toBe(
      [
        'Authentication-Results: gw.example; lnmp=pass',
        'From: "Alice Example" <alice#x7Kp2Q@lnmp.example>',
        'To: bob@example.net',
        'Subject: Hello there',
        'Date: Tue, 03 Mar 2026 09:05:07 +0000',
        'Message-ID: <a1b2c3@lnmp.invalid>',
        'In-Reply-To: <parent@lnmp.invalid>',
        'References: <root@example.org> <parent@lnmp.invalid>',
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: 7bit',
        '',
        'Line one',
        'Line two',
        '',
      ].join('\r\n'),
    );
  });

  it('encodes non-ASCII headers as encoded-words and the body as base64; output is ASCII', async () => {
    const content: MessageContent = { type: 'text', subject: 'Grüße — 日本語のテキストはとても長いかもしれません、折り返しが必要です', body: 'Schöne Grüße 🎉\n' };
    const out = contentToMime(content, { ...OPTS, from: { name: 'Jörg "J" Müller', address: 'joerg#abc123@lnmp.example' } });
    const s = text(out);
    expect(s).toMatch(/^[\x20-\x7e\r\n]*$/);
    expect(s.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    for (const line of s.split('\r\n')) expect(line.length).toBeLessThanOrEqual(76);
    expect(s).toContain('Content-Transfer-Encoding: base64\r\n');
    const parsed = await simpleParser(Buffer.from(out));
    expect(parsed.subject).toBe(content.subject);
    expect(parsed.from?.value[0]).toEqual({ name: 'Jörg "J" Müller', address: 'joerg#abc123@lnmp.example' });
    expect(parsed.text).toBe(content.body);
  });

  it('lists attachments by CID in the body instead of embedding them', () => {
    const out = contentToMime(
      {
        type: 'file',
        body: 'Here it is.',
        attachments: [
          {
            ipfsHash: 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku',
            filename: 'empty.txt',
            size: 0,
            mimeType: 'text/plain',
            encryptionKey: '00'.repeat(32),
            algorithm: 'ChaCha20-Poly1305',
            checksums: { sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' },
          },
        ],
      },
      OPTS,
    );
    expect(text(out).split('\r\n\r\n').slice(1).join('\r\n\r\n')).toBe(
      'Here it is.\r\n-- \r\nAttachments (LNMP references, fetch by CID):\r\n' +
        '- empty.txt (text/plain, 0 bytes): bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku\r\n',
    );
  });

  it('writes html formatting as text/html', () => {
    const out = text(contentToMime({ type: 'text', body: '<p>hi</p>', formatting: 'html' }, OPTS));
    expect(out).toContain('Content-Type: text/html; charset=utf-8\r\n');
  });

  it('leaves out a thread id that cannot be a msg-id', () => {
    const out = text(contentToMime({ type: 'text', body: '', replyTo: 'has space', threadId: 'ok-root' }, OPTS));
    expect(out).not.toContain('In-Reply-To');
    expect(out).toContain('References: <ok-root@lnmp.invalid>\r\n');
  });

  it('rejects header injection through the addresses with the exact error', () => {
    const call = () => contentToMime({ type: 'text', body: '' }, { ...OPTS, to: ['bob@example.net\r\nBcc: eve@example.org'] });
    expect(call).toThrow(ConverterError);
    expect(call).toThrow('invalid_header_value: not an email address a header can carry: "bob@example.net\\r\\nBcc: eve@example.org"');
    expect(() => contentToMime({ type: 'text', body: '' }, { ...OPTS, authResults: 'x\r\nBcc: y' })).toThrow(
      'invalid_header_value: authResults must be printable ASCII without line breaks: "x\\r\\nBcc: y"',
    );
  });

  it('rejects an invalid date', () => {
    expect(() => contentToMime({ type: 'text', body: '' }, { ...OPTS, date: new Date(NaN) })).toThrow('invalid_date: the date is not a valid Date');
  });
});

describe('content → MIME → content', () => {
  it('keeps subject, body, replyTo and threadId', async () => {
    const content: MessageContent = {
      type: 'text',
      subject: 'Re: plans',
      body: 'Sounds good.\n\n> earlier text\n',
      replyTo: 'b'.repeat(64),
      threadId: 'a'.repeat(64),
    };
    const back = await mimeToContent(contentToMime(content, OPTS));
    expect(back).toMatchObject({ type: 'text', subject: content.subject, body: content.body, replyTo: content.replyTo, threadId: content.threadId });
  });

  it('a new thread takes the message id as its threadId', async () => {
    const back = await mimeToContent(contentToMime({ type: 'text', body: 'x' }, { ...OPTS, messageId: '<Root@Example.org>' }));
    expect(back.threadId).toBe('root@example.org');
    expect(back.replyTo).toBeUndefined();
  });

  it('property: any unicode subject and body survive (body normalised by normaliseBodyText)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'binary', maxLength: 300 }),
        fc.string({ unit: 'binary', maxLength: 2000 }),
        async (subject, body) => {
          const back = await mimeToContent(contentToMime({ type: 'text', subject, body }, OPTS));
          // An empty subject comes back absent.
          expect(back.subject ?? '').toBe(subject);
          expect(back.body).toBe(normaliseBodyText(body));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: printable ASCII subjects written plain survive too', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary-ascii', maxLength: 200 }), async (subject) => {
        const back = await mimeToContent(contentToMime({ type: 'text', subject, body: '' }, OPTS));
        expect(back.subject ?? '').toBe(subject);
      }),
      { numRuns: 300 },
    );
  });
});
