// BODY[section] as byte ranges of the stored message: table of section → exact bytes.
import { describe, expect, it } from 'vitest';
import { headerValue, parseMime, sectionBytes } from './body-sections.js';

const NESTED = [
  'Subject: outer',
  'Content-Type: multipart/mixed; boundary="b1"',
  '',
  'preamble',
  '--b1',
  'Content-Type: text/plain',
  '',
  'first',
  '--b1',
  'Content-Type: message/rfc822',
  '',
  'Subject: inner',
  'Content-Type: multipart/alternative; boundary=b2',
  '',
  '--b2',
  '',
  'inner one',
  '--b2',
  'Content-Type: text/html',
  '',
  '<b>two</b>',
  '--b2--',
  '--b1--',
  'epilogue',
  '',
].join('\r\n');

const SINGLE = 'Subject: hi\r\nX-A: 1\r\n  continued\r\n\r\nbody line\r\n';

const at = (raw: string, path: string, type: string, headers?: string[]) => {
  const bytes = Buffer.from(raw, 'latin1');
  const out = sectionBytes(bytes, parseMime(bytes), { path, type, ...(headers ? { headers } : {}) });
  return out === undefined ? undefined : Buffer.from(out).toString('latin1');
};

describe('body sections', () => {
  it.each([
    ['', 'content', NESTED],
    ['', 'header', 'Subject: outer\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n'],
    ['1', 'content', 'first'],
    ['1', 'mime', 'Content-Type: text/plain\r\n\r\n'],
    ['2', 'header', 'Subject: inner\r\nContent-Type: multipart/alternative; boundary=b2\r\n\r\n'],
    ['2.1', 'content', 'inner one'],
    ['2.1', 'mime', '\r\n'],
    ['2.2', 'content', '<b>two</b>'],
    ['2', 'text', '--b2\r\n\r\ninner one\r\n--b2\r\nContent-Type: text/html\r\n\r\n<b>two</b>\r\n--b2--'],
    ['3', 'content', undefined],
    ['1', 'header', undefined],
  ])('multipart %s %s', (path, type, expected) => {
    expect(at(NESTED, path, type)).toBe(expected);
  });

  it('treats a single-part body as part 1 and keeps folded header fields whole', () => {
    expect(at(SINGLE, '1', 'content')).toBe('body line\r\n');
    expect(at(SINGLE, '', 'text')).toBe('body line\r\n');
    expect(at(SINGLE, '', 'header.fields', ['x-a'])).toBe('X-A: 1\r\n  continued\r\n\r\n');
    expect(at(SINGLE, '', 'header.fields.not', ['x-a'])).toBe('Subject: hi\r\n\r\n');
    expect(at(SINGLE, '2', 'content')).toBeUndefined();
    expect(headerValue(Buffer.from(SINGLE), 'X-A')).toBe('1  continued');
  });

  it('handles LF-only messages and a missing closing delimiter', () => {
    const lf = 'Content-Type: multipart/mixed; boundary=x\n\n--x\n\none\n--x\n\ntwo\n';
    expect(at(lf, '1', 'content')).toBe('one');
    expect(at(lf, '2', 'content')).toBe('two\n');
    expect(at('no header at all', '', 'text')).toBe('');
  });
});
