import { describe, expect, it } from 'vitest';
import { hasBareLf } from './bare-newline.js';

const cases: Array<[string, string, boolean]> = [
  ['CRLF lines', 'a\r\nb\r\n', false],
  ['empty', '', false],
  ['bare CR (allowed: not a line ending anyone honours for DATA)', 'a\rb\r\n', false],
  ['leading LF', '\na\r\n', true],
  ['LF.CRLF', 'a\r\n\n.\r\nMAIL FROM:<x@y>\r\n', true],
  ['CRLF.LF', 'a\r\n.\nMAIL FROM:<x@y>\r\n', true],
  ['LF.LF', 'a\n.\n', true],
  ['bare LF line ending', 'a\nb\r\n', true],
];

describe('hasBareLf', () => {
  it.each(cases)('%s', (_name, text, expected) => {
    expect(hasBareLf(Buffer.from(text, 'latin1'))).toBe(expected);
  });
});
