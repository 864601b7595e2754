// Summaries against what JMAP shows today (readEmailContent, i.e. mailparser): the same preview
// and hasAttachment on the real-world corpus and on the benchmark's generated messages, the
// header bytes exactly as stored, the HTML and attachment rules on hand-made messages, and the
// stored form (round trip, exact errors for bytes that are not a summary).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchMessage } from '../bench/imap-clients.js';
import { readEmailContent } from '../gateway/jmap/email-content.js';
import { PREVIEW_CHARS as JMAP_PREVIEW_CHARS } from '../gateway/jmap/limits.js';
import { ConverterError } from './errors.js';
import { decodeSummary, encodeSummary, htmlToText, PREVIEW_CHARS, summarize } from './message-summary.js';

const CORPUS = new URL('../test/fixtures/mime-corpus/', import.meta.url).pathname;
const corpus = readdirSync(CORPUS).filter((f) => f.endsWith('.eml')).sort().map((name) => ({ name, raw: readFileSync(join(CORPUS, name)) }));

const mail = (text: string) => Buffer.from(text.replace(/\n/g, '\r\n'), 'utf8');

async function mailparserView(raw: Uint8Array): Promise<{ preview: string; hasAttachment: boolean }> {
  const c = await readEmailContent(raw);
  return { preview: c.preview, hasAttachment: c.hasAttachment };
}

function view(raw: Uint8Array): { preview: string; hasAttachment: boolean } {
  const s = summarize(raw);
  return { preview: s.preview, hasAttachment: s.hasAttachment };
}

/** The corpus message whose inline message/rfc822 part mailparser renders with a block of its header fields. */
const FORWARDED = '04-forwarded-rfc822.eml';

describe('summarize on the real-world corpus', () => {
  it.each(corpus.filter((c) => c.name !== FORWARDED))('$name: the preview and hasAttachment readEmailContent gives', async ({ raw }) => {
    expect(view(raw)).toEqual(await mailparserView(raw));
  });

  it('04-forwarded-rfc822: the forwarded text without the header block mailparser inserts', async ({ expect }) => {
    const raw = corpus.find((c) => c.name === FORWARDED)!.raw;
    // mailparser puts the embedded message's From/Subject/Date/To (formatted by its address
    // parser) into its text; the summary keeps to the message's words.
    expect(view(raw)).toEqual({ preview: 'See below. 1. Budget 2. Hiring', hasAttachment: false });
    expect((await mailparserView(raw)).preview).toBe('See below. From: "Frank" <frank@example.com> Subject: Meeting notes Date: Thu, 05 Nov 2026 17:00:00 GMT To: eve@example.com 1. Budget 2. Hiring');
  });

  it.each(corpus)('$name: the header is the stored bytes up to and including the blank line', ({ raw }) => {
    const header = summarize(raw).header;
    const text = raw.toString('latin1');
    const end = /\r?\n\r?\n/.exec(text)!;
    expect(Buffer.from(header).equals(raw.subarray(0, end.index + end[0].length))).toBe(true);
  });
});

describe('summarize on the benchmark messages', () => {
  it('400 generated messages (plain and multipart/alternative): the preview and hasAttachment readEmailContent gives', async () => {
    for (let i = 0; i < 400; i++) {
      const raw = benchMessage(i);
      expect(view(raw), `message ${i}`).toEqual(await mailparserView(raw));
    }
  });
});

describe('summarize', () => {
  it('a message without a blank line is all header, with an empty preview', async () => {
    const raw = mail('Subject: x\nFrom: a@example.org');
    expect(Buffer.from(summarize(raw).header).equals(raw)).toBe(true);
    expect(view(raw)).toEqual(await mailparserView(raw));
    expect(view(raw)).toEqual({ preview: '', hasAttachment: false });
  });

  it('cuts the preview to PREVIEW_CHARS characters (not UTF-16 units), whitespace collapsed', async () => {
    expect(PREVIEW_CHARS).toBe(256);
    expect(JMAP_PREVIEW_CHARS).toBe(PREVIEW_CHARS);
    const raw = mail(`Subject: long\nContent-Type: text/plain; charset=utf-8\n\n  ${'😀 \t\n'.repeat(300)}`);
    const summary = summarize(raw);
    expect([...summary.preview]).toHaveLength(256);
    expect(summary.preview).toBe('😀 '.repeat(128));
    expect(view(raw)).toEqual(await mailparserView(raw));
  });

  it('cuts the preview like mailparser around whitespace runs, long leading space, emoji and the 256th character', async () => {
    // Deterministic texts (mulberry32) of words, runs of spaces, tabs, line breaks, no-break
    // spaces and emoji, 0 to ~6,000 characters, some in two text parts.
    let seed = 7;
    const random = () => {
      seed = (seed + 0x6d2b79f5) >>> 0;
      let t = seed;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const atoms = ['word', 'x', '😀', ' ', '   ', '\t', '\n', '\u00a0', ' '.repeat(1500), 'élan', '漢字'];
    const text = () => Array.from({ length: Math.floor(random() * 400) }, () => atoms[Math.floor(random() * atoms.length)]).join('');
    for (let i = 0; i < 150; i++) {
      const raw = i % 3 === 0
        ? mail(`Subject: two\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain; charset=utf-8\n\n${text()}\n--b\nContent-Type: text/plain; charset=utf-8\n\n${text()}\n--b--\n`)
        : mail(`Subject: one\nContent-Type: text/plain; charset=utf-8\n\n${text()}`);
      expect(view(raw), `case ${i}`).toEqual(await mailparserView(raw));
    }
  });

  it('decodes base64 and quoted-printable text in its charset, and format=flowed', async () => {
    const raws = [
      mail(`Subject: b\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: base64\n\n${Buffer.from('Grüße aus Köln', 'latin1').toString('base64')}\n`),
      mail('Subject: q\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\nCaf=C3=A9 au lait, soft=\nbreak =3D fine\n'),
      mail('Subject: f\nContent-Type: text/plain; charset=us-ascii; format=flowed; delsp=yes\n\nA flow \ned line\n'),
    ];
    expect(raws.map(view).map((v) => v.preview)).toEqual(['Grüße aus Köln', 'Café au lait, softbreak = fine', 'A flowed line']);
    for (const raw of raws) expect(view(raw)).toEqual(await mailparserView(raw));
  });

  it('joins every inline text part in order, and HTML next to text outside an alternative', async () => {
    const raw = mail(
      'Subject: parts\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nFirst part.\n--b\nContent-Type: text/html\n\n<p>Second</p>\n--b\nContent-Type: text/plain\n\nThird part.\n--b--\n',
    );
    expect(view(raw)).toEqual({ preview: 'First part. Second Third part.', hasAttachment: false });
    expect(view(raw)).toEqual(await mailparserView(raw));
  });

  it('an HTML-only message: the text of its body, as mailparser gives it for simple markup', async () => {
    const raw = mail('Subject: h\nContent-Type: text/html; charset=utf-8\n\n<html><head><title>T</title><style>p{}</style></head><body><p>Hello <b>wor</b>ld &amp; all&#33;</p><script>x()</script><div>Next&nbsp;line</div></body></html>\n');
    expect(view(raw)).toEqual({ preview: 'Hello world & all! Next line', hasAttachment: false });
    expect(view(raw)).toEqual(await mailparserView(raw));
  });

  it('HTML headings, links and list items as html-to-text writes them', async () => {
    const raw = mail('Subject: h\nContent-Type: text/html\n\n<h1>News</h1><ul><li>one</li><li>two</li></ul><p>See <a href="https://example.org/x">this</a> and <a href="#top">top</a>.</p>\n');
    expect(view(raw)).toEqual({ preview: 'NEWS * one * two See this [https://example.org/x] and top.', hasAttachment: false });
    expect(view(raw)).toEqual(await mailparserView(raw));
  });

  it('HTML in a multipart/mixed without a text part: its text, where mailparser gives none', async () => {
    // mailparser renders HTML to text only at the root or next to a text/plain part, so its
    // preview is empty here; RFC 8621 §4.1.4 wants the text of the body.
    const raw = mail('Subject: h\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/html\n\n<p>Only HTML</p>\n--b\nContent-Type: image/png\nContent-Disposition: attachment; filename=a.png\n\nAAAA\n--b--\n');
    expect(view(raw)).toEqual({ preview: 'Only HTML', hasAttachment: true });
    expect(await mailparserView(raw)).toEqual({ preview: '', hasAttachment: true });
  });

  it('broken HTML: a lone <, a script holding tags, a quoted >, an unclosed quote or comment', () => {
    const text = (html: string) => htmlToText(html).replace(/\s+/g, ' ').trim();
    expect(text('1 < 2 and <b>bold</b>')).toBe('1 < 2 and bold');
    expect(text('a<script>if (x<y) document.write("<p>no</p>")</script>b')).toBe('ab');
    expect(text('<a title="x>y" href="https://e.example/">link</a> after')).toBe('link [https://e.example/] after');
    expect(text('before<p class="never closed>after')).toBe('before');
    expect(text('before<!-- never closed <p>after')).toBe('before');
    expect(text('<p>x</p></body>trailing')).toBe('x');
  });

  it('html-to-text differences the preview keeps (tables, images)', () => {
    // html-to-text lays tables out in columns and writes images as [alt]; the summary keeps the
    // words of the cells in order and drops images. Whitespace collapsing hides layout only.
    expect(htmlToText('<table><tr><td>a</td><td>b</td></tr></table><img src="x.png" alt="pic">c').replace(/\s+/g, ' ').trim()).toBe('a b c');
  });

  it('attachments: a file, an inline image without Content-ID, a forwarded message; not an inline image with one', async () => {
    const part = (headers: string) => mail(`Subject: a\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nBody\n--b\n${headers}\n\nAAAA\n--b--\n`);
    const cases = [
      [part('Content-Type: application/pdf\nContent-Disposition: attachment; filename=r.pdf'), true],
      [part('Content-Type: image/png'), true],
      [part('Content-Type: image/png\nContent-Disposition: inline'), true],
      [part('Content-Type: image/png\nContent-Disposition: inline\nContent-ID: <img1@example.org>'), false],
      [part('Content-Type: text/plain\nContent-Disposition: attachment; filename=notes.txt'), true],
      [part('Content-Type: message/rfc822'), true],
      [part('Content-Disposition: attachment'), true],
    ] as const;
    for (const [raw, expected] of cases) {
      expect(view(raw).hasAttachment).toBe(expected);
      expect(view(raw)).toEqual(await mailparserView(raw));
    }
  });
});

describe('encodeSummary / decodeSummary', () => {
  it('round-trips every corpus summary', () => {
    for (const { raw } of corpus) {
      const s = summarize(raw);
      expect(decodeSummary(encodeSummary(s))).toEqual({ header: new Uint8Array(s.header), preview: s.preview, hasAttachment: s.hasAttachment });
    }
    const empty = { header: new Uint8Array(0), preview: '', hasAttachment: true };
    expect(decodeSummary(encodeSummary(empty))).toEqual(empty);
  });

  it('refuses bytes that are not a summary with ConverterError invalid_summary', () => {
    const good = encodeSummary({ header: Buffer.from('Subject: x\r\n\r\n'), preview: 'hi', hasAttachment: false });
    const cases: Array<[Uint8Array, string]> = [
      [new Uint8Array(0), 'invalid_summary: too short'],
      [Uint8Array.of(1, 0, 0, 0, 0), 'invalid_summary: too short'],
      [Uint8Array.of(2, ...good.subarray(1)), 'invalid_summary: unknown version 2'],
      [Uint8Array.of(1, 2, ...good.subarray(2)), 'invalid_summary: unknown flags 2'],
      [Uint8Array.of(1, 0, 0, 0, 0, 99, 0x41), 'invalid_summary: header length past the end'],
      [Uint8Array.of(...good, 0xff), 'invalid_summary: preview is not UTF-8'],
      [encodeSummary({ header: new Uint8Array(0), preview: 'x'.repeat(257), hasAttachment: false }), 'invalid_summary: preview longer than 256 characters'],
    ];
    for (const [bytes, message] of cases) {
      let err: unknown;
      try {
        decodeSummary(bytes);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConverterError);
      expect((err as ConverterError).code).toBe('invalid_summary');
      expect((err as Error).message).toBe(message);
    }
  });
});
