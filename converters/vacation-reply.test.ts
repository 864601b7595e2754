// The vacation auto-reply's bytes, and removing the Bcc field a submission must not send.
import { describe, expect, it } from 'vitest';
import { ConverterError } from './errors.js';
import { withoutHeaderFields } from './strip-fields.js';
import { buildVacationReply, DEFAULT_VACATION_TEXT, type VacationReplyInput } from './vacation-reply.js';

const base: VacationReplyInput = {
  from: 'alice@example.test', to: 'bob@sender.test', original: { subject: 'Plans', messageId: 'm1@sender.test', references: ['m0@sender.test'] },
  subject: null, textBody: null, htmlBody: null, date: new Date('2026-11-28T10:00:00Z'), messageId: 'r1@mx.example.test', boundary: 'b1',
};

describe('buildVacationReply', () => {
  it('answers with the default text and "Auto: <subject>", threaded and marked auto-replied', () => {
    expect(buildVacationReply(base).toString('utf8')).toBe(
      'From: <alice@example.test>\r\nTo: <bob@sender.test>\r\nSubject: Auto: Plans\r\nDate: Sat, 28 Nov 2026 10:00:00 +0000\r\nMessage-ID: <r1@mx.example.test>\r\n' +
        'In-Reply-To: <m1@sender.test>\r\nReferences: <m0@sender.test> <m1@sender.test>\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n' +
        'Content-Type: multipart/alternative; boundary="b1"\r\n\r\n' +
        `--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${DEFAULT_VACATION_TEXT}\r\n\r\n--b1--\r\n`,
    );
  });

  it('derives the text part from HTML-only content and keeps the HTML part; the user\'s subject wins', () => {
    const text = buildVacationReply({ ...base, subject: 'Weg', htmlBody: '<p>Back &amp; ready<br>on Monday</p>' }).toString('utf8');
    expect(text).toContain('Subject: Weg\r\n');
    expect(text).toContain('charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nBack & ready\r\non Monday\r\n');
    expect(text).toContain('Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n<p>Back &amp; ready<br>on Monday</p>\r\n');
  });

  it('refuses a boundary that occurs in the text', () => {
    expect(() => buildVacationReply({ ...base, textBody: 'see --b1' })).toThrow(ConverterError);
  });
});

describe('withoutHeaderFields', () => {
  it('removes every Bcc field, folded lines included, and leaves the rest byte-exact', () => {
    const raw = Buffer.from('From: a@x.test\r\nBcc: b@x.test,\r\n c@x.test\r\nTo: d@x.test\r\nbcc: e@x.test\r\n\r\nBcc: not a header\r\n');
    expect(Buffer.from(withoutHeaderFields(raw, ['bcc'])).toString()).toBe('From: a@x.test\r\nTo: d@x.test\r\n\r\nBcc: not a header\r\n');
    const none = Buffer.from('From: a@x.test\r\n\r\nbody\r\n');
    expect(withoutHeaderFields(none, ['bcc'])).toBe(none);
  });
});
