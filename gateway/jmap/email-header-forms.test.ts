// Table tests of the header:* property parser and the parsed forms (RFC 8621 §4.1.2).
import { describe, expect, it } from 'vitest';
import { formValue, parseHeaderProperty, rawHeaders } from './email-header-forms.js';

describe('parseHeaderProperty', () => {
  it.each([
    ['header:Subject', { name: 'subject', form: 'Raw', all: false }],
    ['header:Subject:asRaw', { name: 'subject', form: 'Raw', all: false }],
    ['header:subject:asText:all', { name: 'subject', form: 'Text', all: true }],
    ['header:Received:all', { name: 'received', form: 'Raw', all: true }],
    ['header:X-Anything:asDate', { name: 'x-anything', form: 'Date', all: false }],
    ['header:List-Id:asAddresses', { name: 'list-id', form: 'Addresses', all: false }],
    ['header:Resent-To:asGroupedAddresses', { name: 'resent-to', form: 'GroupedAddresses', all: false }],
    ['header:List-Post:asURLs', { name: 'list-post', form: 'URLs', all: false }],
  ])('%s', (property, expected) => {
    expect(parseHeaderProperty(property)).toEqual({ property, ...expected });
  });

  it.each([
    'header', 'header:', 'header:Subject:asAddresses', 'header:To:asText', 'header:Date:asMessageIds', 'header:Received:asDate', 'header:Return-Path:asAddresses',
    'header:Subject:astext', 'header:Subject:asText:all:all', 'header:Subject:all:asText', 'header:Sub ject', 'Header:Subject', 'headers',
  ])('refuses %s', (property) => {
    expect(parseHeaderProperty(property)).toBeUndefined();
  });
});

describe('forms', () => {
  it.each([
    ['Text', ' =?utf-8?q?caf=C3=A9?=\r\n  au lait ', 'café  au lait '],
    ['Text', ' =?utf-8?q?a=00b?=', 'ab'],
    ['Addresses', ' "Doe, J." <j@x.test>, k@x.test', [{ name: 'Doe, J.', email: 'j@x.test' }, { name: null, email: 'k@x.test' }]],
    ['GroupedAddresses', ' a@x.test, Team: b@x.test;, c@x.test', [
      { name: null, addresses: [{ name: null, email: 'a@x.test' }] },
      { name: 'Team', addresses: [{ name: null, email: 'b@x.test' }] },
      { name: null, addresses: [{ name: null, email: 'c@x.test' }] },
    ]],
    ['GroupedAddresses', ' Undisclosed recipients:;', [{ name: 'Undisclosed recipients', addresses: [] }]],
    ['MessageIds', ' <a@x> (old) <b\r\n @y>', ['a@x', 'b@y']],
    ['MessageIds', ' a@x b@y', ['a@x', 'b@y']],
    ['MessageIds', ' ', null],
    ['Date', ' Tue, 1 Jul 2003 10:52:37 +0200', '2003-07-01T10:52:37+02:00'],
    ['Date', ' 1 Jul 03 10:52 GMT (comment)', '2003-07-01T10:52:00Z'],
    ['Date', ' Thu, 13 Feb 1969 23:32 -0330', '1969-02-13T23:32:00-03:30'],
    ['Date', ' Fri, 21 Nov 1997 09:55:06 EST', '1997-11-21T09:55:06-05:00'],
    ['Date', ' Tuesday 1 Jul 2003 10:52:37 UTC', '2003-07-01T10:52:37Z'],
    ['Date', ' yesterday', null],
    ['Date', ' 31 Foo 2020 10:00 +0000', null],
    ['URLs', ' <mailto:l@x.test?subject=help> (Help), <https://x.test/\r\n help>', ['mailto:l@x.test?subject=help', 'https://x.test/help']],
    ['URLs', ' NO (posting not allowed)', null],
  ] as const)('%s of %j', (form, raw, expected) => {
    expect(formValue(raw, form)).toEqual(expected);
  });

  it('reads raw fields with names as written, values after the colon with their folding, 8-bit as UTF-8 or latin1', () => {
    const raw = Buffer.concat([Buffer.from('X-A: one\r\n two\r\nSubject:caf\xc3\xa9\r\nX-L: \xe9\r\n\r\nbody', 'latin1')]);
    expect(rawHeaders(raw)).toEqual([{ name: 'X-A', value: ' one\r\n two' }, { name: 'Subject', value: 'café' }, { name: 'X-L', value: ' é' }]);
  });
});
