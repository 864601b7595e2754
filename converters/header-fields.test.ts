// headerFields: names lowercased, values unfolded and trimmed (bytes as latin1), byte ranges of
// whole fields, for a message's own header and for a part's header further into the bytes.
import { describe, expect, it } from 'vitest';
import { headerEnd, headerFields } from './header-fields.js';

const bytes = (text: string) => Buffer.from(text, 'latin1');
/** Each field as its name, value and the exact bytes its range covers. */
const read = (raw: Buffer, start?: number, end?: number) =>
  headerFields(raw, start, end).map((f) => ({ name: f.name, value: f.value, bytes: raw.subarray(f.start, f.end).toString('latin1') }));

describe('headerFields', () => {
  it('unfolds continuation lines (CRLF and LF), keeps byte ranges and stops at the blank line', () => {
    const raw = bytes('Subject: a\r\n long\r\n\tsubject\r\nX-Plain:  v  \nTo: b@example.test\r\n\r\nBody: not a field\r\n');
    expect(read(raw)).toEqual([
      { name: 'subject', value: 'a long\tsubject', bytes: 'Subject: a\r\n long\r\n\tsubject\r\n' },
      { name: 'x-plain', value: 'v', bytes: 'X-Plain:  v  \n' },
      { name: 'to', value: 'b@example.test', bytes: 'To: b@example.test\r\n' },
    ]);
  });

  it('reads 8-bit bytes as latin1 and skips a line without a colon', () => {
    const raw = bytes('Garbage line\r\nFrom: Andr\xe9 <a@example.fr>\r\n\r\n');
    expect(read(raw)).toEqual([{ name: 'from', value: 'Andr\xe9 <a@example.fr>', bytes: 'From: Andr\xe9 <a@example.fr>\r\n' }]);
  });

  it("reads a part's header at its own offsets within the message", () => {
    const outer = 'Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n';
    const raw = bytes(`${outer}Content-Type: text/plain;\r\n charset=utf-8\r\nContent-ID: <x@y>\r\n\r\nhello\r\n--b--\r\n`);
    const start = outer.length;
    expect(read(raw, start, headerEnd(raw, start))).toEqual([
      { name: 'content-type', value: 'text/plain; charset=utf-8', bytes: 'Content-Type: text/plain;\r\n charset=utf-8\r\n' },
      { name: 'content-id', value: '<x@y>', bytes: 'Content-ID: <x@y>\r\n' },
    ]);
  });
});
