// The body model on plain message vectors: parseStructure's lists (RFC 8621 §4.1.4), part
// numbering, transfer decoding and what each part blob id reaches.
import { describe, expect, it } from 'vitest';
import { bodyLists, bodyTree, partBytes } from './email-body.js';

const msg = (...lines: string[]): Buffer => Buffer.from(lines.join('\r\n'), 'latin1');
const ids = (raw: Buffer): Record<string, Array<string | null>> => {
  const lists = bodyLists(bodyTree(raw));
  return { text: lists.textBody.map((p) => p.partId), html: lists.htmlBody.map((p) => p.partId), attachments: lists.attachments.map((p) => p.partId) };
};

describe('parseStructure', () => {
  it.each([
    ['a single text/plain part is both bodies', msg('Subject: x', '', 'hi'), { text: ['1'], html: ['1'], attachments: [] }],
    ['a single text/html part is both bodies', msg('Content-Type: text/html', '', '<p>hi'), { text: ['1'], html: ['1'], attachments: [] }],
    ['a single PDF is an attachment', msg('Content-Type: application/pdf', '', 'x'), { text: [], html: [], attachments: ['1'] }],
    [
      'an alternative with only HTML gives the HTML as text too',
      msg('Content-Type: multipart/mixed; boundary=m', '', '--m', 'Content-Type: multipart/alternative; boundary=a', '', '--a', 'Content-Type: text/html', '', '<p>x', '--a--', '--m--'),
      { text: ['1.1'], html: ['1.1'], attachments: [] },
    ],
    [
      'a named text part after the first in a mixed is an attachment',
      msg('Content-Type: multipart/mixed; boundary=m', '', '--m', 'Content-Type: text/plain', '', 'body', '--m', 'Content-Type: text/plain; name=notes.txt', '', 'notes', '--m--'),
      { text: ['1'], html: ['1'], attachments: ['2'] },
    ],
    [
      'in a related, only the first part is inline; the images are attachments',
      msg('Content-Type: multipart/related; boundary=r', '', '--r', 'Content-Type: text/html', '', '<img src="cid:i">', '--r', 'Content-Type: image/gif', 'Content-ID: <i>', '', 'GIF', '--r--'),
      { text: ['1'], html: ['1'], attachments: ['2'] },
    ],
    [
      'an image in an alternative with text and HTML is an attachment',
      msg('Content-Type: multipart/alternative; boundary=a', '', '--a', 'Content-Type: text/plain', '', 't', '--a', 'Content-Type: text/html', '', 'h', '--a', 'Content-Type: image/png', '', 'p', '--a--'),
      { text: ['1'], html: ['2'], attachments: ['3'] },
    ],
    [
      'an inline image inside the text branch of an alternative is in that body and an attachment',
      msg(
        'Content-Type: multipart/alternative; boundary=a', '',
        '--a', 'Content-Type: multipart/mixed; boundary=m', '', '--m', 'Content-Type: text/plain', '', 't', '--m', 'Content-Type: image/png', '', 'p', '--m--',
        '--a', 'Content-Type: text/html', '', 'h', '--a--',
      ),
      { text: ['1.1', '1.2'], html: ['2'], attachments: ['1.2'] },
    ],
  ])('%s', (_, raw, expected) => {
    expect(ids(raw)).toEqual(expected);
  });
});

describe('part content', () => {
  const raw = msg(
    'Content-Type: multipart/mixed; boundary="b"', '',
    '--b', 'Content-Type: text/plain; charset=iso-8859-1', 'Content-Transfer-Encoding: Quoted-Printable', '', 'caf=E9 =3D soft=', 'ly joined=20', '--b',
    'Content-Type: application/octet-stream', 'Content-Transfer-Encoding: base64', '', 'AAEC', '/w==', '--b',
    'Content-Type: message/rfc822', '', 'Subject: inner', 'Content-Type: multipart/mixed; boundary=i', '', '--i', '', 'one', '--i', 'Content-Transfer-Encoding: base64', '', 'dHdv', '--i--', '--b--',
  );

  it('undoes the transfer encoding', () => {
    expect(partBytes(raw, '1')).toEqual(Buffer.from('caf\xe9 = softly joined ', 'latin1'));
    expect(partBytes(raw, '2')).toEqual(Buffer.from([0, 1, 2, 255]));
  });

  it('goes on into an attached message with IMAP numbering, and has nothing for a multipart or a missing part', () => {
    expect(Buffer.from(partBytes(raw, '3')!).toString()).toMatch(/^Subject: inner\r\n/);
    expect(partBytes(raw, '3.1')).toEqual(Buffer.from('one'));
    expect(partBytes(raw, '3.2')).toEqual(Buffer.from('two'));
    expect(partBytes(raw, '3.3')).toBeUndefined();
    expect(partBytes(raw, '4')).toBeUndefined();
    expect(partBytes(raw, '1.1')).toBeUndefined();
    expect(bodyTree(raw).partId).toBeNull();
  });
});
