// The postage auto-reply: who may get one (RFC 3834 §2 and our own loop guard), what of the
// original it quotes, and the exact shape of the reply.
import { describe, expect, it } from 'vitest';
import { autoReplyBlock, buildPostageReply, repliedTo } from './postage-reply.js';

const raw = (headers: string) => Buffer.from(`${headers}\r\n\r\nbody\r\n`, 'latin1');
const PLAIN = 'From: bob@sender.test\r\nSubject: Hi';

describe('autoReplyBlock', () => {
  it.each([
    ['a null envelope sender', PLAIN, '', 'null-sender'],
    ['MAILER-DAEMON', PLAIN, 'MAILER-DAEMON@sender.test', 'system-sender'],
    ['a list owner', PLAIN, 'owner-news@sender.test', 'system-sender'],
    ['a -request address', PLAIN, 'news-request@sender.test', 'system-sender'],
    ['Auto-Submitted: auto-replied', `${PLAIN}\r\nAuto-Submitted: auto-replied`, 'bob@sender.test', 'auto-submitted'],
    ['Auto-Submitted: auto-generated with a comment', `${PLAIN}\r\nAuto-Submitted: Auto-Generated; owner-email="x@y"`, 'bob@sender.test', 'auto-submitted'],
    ['Precedence: bulk', `${PLAIN}\r\nPrecedence: bulk`, 'bob@sender.test', 'precedence'],
    ['Precedence: junk', `${PLAIN}\r\nPrecedence: JUNK`, 'bob@sender.test', 'precedence'],
    ['Precedence: list', `${PLAIN}\r\nPrecedence: list`, 'bob@sender.test', 'precedence'],
    ['List-Id', `${PLAIN}\r\nList-Id: <news.sender.test>`, 'bob@sender.test', 'mailing-list'],
    ['List-Unsubscribe alone', `${PLAIN}\r\nList-Unsubscribe: <mailto:u@sender.test>`, 'bob@sender.test', 'mailing-list'],
    ['our own auto-reply', `${PLAIN}\r\nX-LNMP-Postage: invoice; amount=100`, 'bob@sender.test', 'own-auto-reply'],
  ])('blocks %s', (_what, headers, envelopeFrom, expected) => {
    expect(autoReplyBlock(raw(headers), envelopeFrom)).toBe(expected);
  });

  it('allows a person\'s mail, and Auto-Submitted: no', () => {
    expect(autoReplyBlock(raw(PLAIN), 'bob@sender.test')).toBeUndefined();
    expect(autoReplyBlock(raw(`${PLAIN}\r\nAuto-Submitted: no\r\nPrecedence: first-class`), 'bob@sender.test')).toBeUndefined();
  });
});

describe('repliedTo', () => {
  it('decodes the subject and continues References, else In-Reply-To', () => {
    const r = repliedTo(raw('Subject: =?UTF-8?B?w4ljb2xl?= news\r\nMessage-ID: <A@x.test>\r\nReferences: <root@x.test>\r\n <mid@x.test>'));
    expect(r).toEqual({ subject: 'École news', messageId: 'a@x.test', references: ['root@x.test', 'mid@x.test'] });
    expect(repliedTo(raw('In-Reply-To: <p@x.test>')).references).toEqual(['p@x.test']);
    expect(repliedTo(raw('X: y'))).toEqual({ subject: '', messageId: undefined, references: [] });
  });
});

describe('buildPostageReply', () => {
  const input = {
    from: 'alice@example.test',
    to: 'bob@sender.test',
    original: { subject: 'Cold pitch', messageId: 'm1@sender.test', references: ['r0@sender.test'] },
    amountSats: 1500,
    bolt11: 'lnbcrt15u1example',
    payUrl: 'https://mx.example.test/pay/AAAAAAAAAAAAAAAAAAAAAA',
    expiresAt: new Date(Date.UTC(2026, 10, 29, 10, 0, 0)),
    date: new Date(Date.UTC(2026, 10, 28, 10, 0, 0)),
    messageId: 'reply1@mx.example.test',
    boundary: 'b1',
  };

  it('writes RFC 3834 headers, threading, one sentence of why and how, and every way to pay', () => {
    const text = buildPostageReply(input).toString('utf8');
    const head = text.slice(0, text.indexOf('\r\n\r\n'));
    const body = text.slice(head.length);
    expect(head.split('\r\n')).toEqual([
      'From: <alice@example.test>',
      'To: <bob@sender.test>',
      'Subject: Auto: postage requested (Re: Cold pitch)',
      'Date: Sat, 28 Nov 2026 10:00:00 +0000',
      'Message-ID: <reply1@mx.example.test>',
      'In-Reply-To: <m1@sender.test>',
      'References: <r0@sender.test> <m1@sender.test>',
      'Auto-Submitted: auto-replied',
      'X-LNMP-Postage: invoice; amount=1500',
      'MIME-Version: 1.0',
      'Content-Type: multipart/alternative; boundary="b1"',
    ]);
    expect(body).toContain('alice@example.test does not know you yet, so your message is waiting in a screening folder: pay 1,500 sats of Lightning postage');
    expect(body).toContain('Amount:   1,500 sats\r\nPay page: https://mx.example.test/pay/AAAAAAAAAAAAAAAAAAAAAA\r\nExpires:  Sun, 29 Nov 2026 10:00:00 +0000\r\n');
    expect(body).toContain('\r\nlnbcrt15u1example\r\n');
    expect(body).toContain('Wallet link: lightning:lnbcrt15u1example');
    expect(body).toContain('<a href="lightning:lnbcrt15u1example"');
    expect(text.endsWith('--b1--\r\n')).toBe(true);
  });

  it('escapes the subject in HTML and encodes it in the header', () => {
    const text = buildPostageReply({ ...input, original: { ...input.original, subject: '<b>Ünïcode</b>' } }).toString('utf8');
    expect(text).toMatch(/^Subject: =\?UTF-8\?B\?/m);
    expect(text).not.toContain('<b>');
  });

  it.each([
    ['a boundary with spaces', { boundary: 'a b' }, 'boundary cannot be used: "a b"'],
    ['a non-invoice', { bolt11: 'not an invoice' }, 'not a BOLT11 invoice'],
    ['a pay URL that is not http(s)', { payUrl: 'javascript:alert(1)' }, 'not an http(s) URL: "javascript:alert(1)"'],
    ['a header injection in the message id', { messageId: 'a@b\r\nBcc: x@y' }, 'messageId must be printable ASCII without line breaks: "a@b\\r\\nBcc: x@y"'],
  ])('refuses %s', (_what, change, message) => {
    expect(() => buildPostageReply({ ...input, ...change })).toThrow(message);
  });
});
