import { describe, expect, it } from 'vitest';
import { isInternetMessage } from './message-check.js';

const bytes = (s: string) => Buffer.from(s, 'latin1');

describe('isInternetMessage', () => {
  it.each([
    ['fields and a body', 'From: a@example.test\r\nSubject: Hi\r\n\r\nBody\r\n', true],
    ['a folded field and LF line ends', 'Subject: one\n two\nTo: b@example.test\n\nBody', true],
    ['a header section only', 'Subject: no body', true],
    ['the obsolete blank before the colon', 'Subject : old\r\n\r\n', true],
    ['latin1 in a value', 'Subject: caf\xe9\r\n\r\n', true],
    ['nothing', '', false],
    ['a body without a header', '\r\nJust text\r\n', false],
    ['plain text', 'Dear Bob,\r\nhello\r\n', false],
    ['a continuation first', ' Subject: x\r\n\r\n', false],
    ['a line without a colon in the header', 'Subject: x\r\nnot a field\r\n\r\n', false],
    ['a NUL in the header', 'Subject: x\0y\r\n\r\n', false],
    ['a PNG', '\x89PNG\r\n\x1a\n\0\0\0\rIHDR', false],
  ])('%s', (_name, text, expected) => {
    expect(isInternetMessage(bytes(text))).toBe(expected);
  });
});
