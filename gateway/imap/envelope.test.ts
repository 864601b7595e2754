import { describe, expect, it } from 'vitest';
import { headerLength } from './body-sections.js';
import { indexer } from './engine.js';
import { createRequire } from 'node:module';
import { envelopeFields, plainEnvelope } from './envelope.js';

const imapTools = createRequire(import.meta.url)('wildduck/imap-core/lib/imap-tools') as {
  getQueryResponse(query: unknown[], message: unknown, options: { acceptUTF8Enabled: boolean }): unknown[];
};

const body = '\r\nHello.\r\n';
const CASES: Record<string, string> = {
  plain: 'From: Bob <bob@example.test>\r\nTo: alice@example.test\r\nSubject: plain words\r\nDate: Fri, 06 Jun 2025 07:08:00 +0000\r\nMessage-ID: <p@example.test>\r\n' + body,
  folded: 'Received: from a\r\n\tby b;\r\n  Fri, 06 Jun 2025\r\nSubject: a long\r\n  folded\r\n\tsubject\r\nTo: one@example.test,\r\n two@example.test\r\n' + body,
  duplicates: 'To: a@example.test\r\nSubject: first\r\nTo: b@example.test\r\nSubject: second\r\n  folded\r\nMessage-ID: <1@x>\r\nMessage-ID: <2@x>\r\nIn-Reply-To: <a@x>\r\nIn-Reply-To: <b@x>\r\nSubject:   \r\n' + body,
  encoded: 'From: =?UTF-8?B?SsO8cmdlbg==?= <j@example.test>\r\nSubject: =?ISO-8859-1?Q?Gr=F6=DFe?= and =?UTF-8?Q?=E6=97=A5?=\r\nCc: "Quoted, Name" <q@example.test>, plain@example.test (comment)\r\n' + body,
  groups: 'To: undisclosed-recipients:;\r\nCc: Team: a@example.test, b@example.test;, c@example.test\r\nBcc: \r\nSender: s@example.test\r\nReply-To: r@example.test\r\n' + body,
  eightBit: 'From: Jürgen <jurgen@bücher.example>\r\nTo: 日本 <n@xn--wgv71a.example>\r\nSubject: Größe 日本\r\n' + body,
  bareLf: 'From: a@example.test\nSubject: bare\n line feeds\nTo: b@example.test\n\nbody\n',
  bareCr: 'From: a@example.test\rSubject: bare cr\r\r\nTo: after-blank@example.test\r\n\r\n',
  crcrlf: 'From: a@example.test\r\r\nSubject: doubled\r\r\n\r\nbody',
  crEnd: 'From: a@example.test\rSubject: cr at the end\r',
  lfCr: 'From: a@example.test\n\rSubject: after lf cr\r\n\r\n',
  crRunText: 'From: a@example.test\r\r\rTo: b@example.test\r\n',
  noFrom: 'To: a@example.test\r\nSubject:  spaced  \r\n' + body,
  senderOwn: 'From: a@example.test\r\nSender: "S, Sender" <s@example.test>\r\nReply-To: <r@example.test>, r2@example.test\r\n' + body,
  oddAddresses: 'From: no-at-sign\r\nTo: a@b@example.test, "" <@example.test>, x@\r\nCc: (just a comment)\r\nBcc: <>\r\n' + body,
  twoDates: 'Date: Fri, 06 Jun 2025 07:08:00 +0000\r\nDate: Sat, 07 Jun 2025 07:08:00 +0000\r\nFrom: a@example.test\r\n' + body,
  specials: 'From: "Quote \\" Back\\\\slash" <q@example.test>\r\nSubject: {5} "quoted" (parens) \\ back = ? mark\r\n' + body,
  oddKeys: 'Subject : spaced key\r\nSUBJECT: upper\r\nX Weird: skipped\r\nfrom:lower@example.test\r\nDate:Fri, 06 Jun 2025 07:08:00 +0000\r\n' + body,
  leadingSpace: ' Subject: indented first line\r\nTo: t@example.test\r\n' + body,
  noBody: 'From: a@example.test\r\nSubject: no body\r\n folded at the end',
  empty: '',
  onlyBody: '\r\nno header at all\r\n',
  colons: 'Subject: a: b: c\r\nMessage-ID: <x:y@z>\r\nDate: 06 Jun 2025 07:08:00 +0000\r\n' + body,
  multipart: 'From: a@example.test\r\nContent-Type: multipart/mixed; boundary=b\r\nSubject: parts\r\n\r\n--b\r\nSubject: inner\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--\r\n',
};

const ENVELOPE_ITEM = { item: 'envelope', original: { type: 'ATOM', value: 'ENVELOPE' } };
const fieldsOf = (name: string) => {
  const raw = Buffer.from(CASES[name]!, name === 'eightBit' ? 'utf8' : 'latin1');
  return envelopeFields(raw.subarray(0, headerLength(raw)));
};

describe('plainEnvelope', () => {
  const needsEngine = ['encoded', 'groups', 'eightBit', 'duplicates', 'oddKeys'];

  it.each(Object.keys(CASES).filter((n) => !needsEngine.includes(n)))('is the value the engine answers: %s', (name) => {
    const expected = imapTools.getQueryResponse([ENVELOPE_ITEM], { mimeTree: { parsedHeader: fieldsOf(name) } }, { acceptUTF8Enabled: false })[0];
    expect(plainEnvelope(fieldsOf(name))).toEqual(expected);
  });

  it('is the value the engine answers for 500 generated US-ASCII headers', () => {
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const chars = 'abcXYZ019 !"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~\t';
    const text = (n: number) => Array.from({ length: Math.floor(next() * n) }, () => chars[Math.floor(next() * chars.length)]).join('');
    let compared = 0;
    for (let i = 0; i < 500; i++) {
      const header = `From: ${text(12)} <${text(6)}@${text(8)}>\r\nTo: ${text(20)}\r\nSubject: ${text(40)}\r\nMessage-ID: <${text(8)}>\r\n\r\n`;
      const fields = () => envelopeFields(Buffer.from(header, 'latin1'));
      const plain = plainEnvelope(fields());
      if (plain === undefined) continue;
      compared++;
      expect([header, plain]).toEqual([header, imapTools.getQueryResponse([ENVELOPE_ITEM], { mimeTree: { parsedHeader: fields() } }, { acceptUTF8Enabled: false })[0]]);
    }
    expect(compared).toBeGreaterThan(300);
  });

  it.each(needsEngine)('leaves to the engine what needs decoding or encoding: %s', (name) => {
    expect(plainEnvelope(fieldsOf(name))).toBeUndefined();
  });
});

describe('envelopeFields', () => {
  it.each(Object.keys(CASES))('gives the engine the same ENVELOPE as its own parser: %s', (name) => {
    const raw = Buffer.from(CASES[name]!, name === 'eightBit' ? 'utf8' : 'latin1');
    const expected = indexer.getEnvelope(indexer.parseMimeTree(raw));
    expect(indexer.getEnvelope({ parsedHeader: envelopeFields(raw.subarray(0, headerLength(raw))) })).toEqual(expected);
  });
});
