// buildDsn parsed back with mailparser: the top-level headers, the three parts of the
// multipart/report in order with their types, the delivery-status fields per message and per
// recipient, the original headers byte for byte, CRLF throughout, and the exact errors for
// values a report cannot carry.
import { simpleParser, type ParsedMail } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { buildDsn, DSN_MAX_DIAGNOSTIC_CHARS, type DsnInput } from './dsn.js';
import { ConverterError } from './errors.js';

const ORIGINAL_HEADERS = Buffer.from('From: Alice <alice@example.org>\nTo: bob@example.net, carol@example.net\nSubject: Grüße\n\n', 'utf8');

const INPUT: DsnInput = {
  reportingMta: 'gw.example.org',
  originalEnvelopeId: 'QQ314159',
  arrivalDate: new Date(Date.UTC(2025, 0, 2, 3, 4, 5)),
  recipients: [
    {
      address: 'bob@example.net',
      action: 'failed',
      status: '5.1.1',
      diagnostic: 'smtp; 550 5.1.1 no such user here, and a rather long explanation that needs folding',
      remoteMta: 'mx.example.net',
      lastAttemptDate: new Date(Date.UTC(2025, 0, 2, 3, 4, 6)),
    },
    {
      address: 'carol@example.net',
      originalAddress: 'carol.original@example.net',
      action: 'delayed',
      status: '4.4.1',
      diagnostic: 'x-lnmp; 451 4.4.1 cannot connect to mx.example.net[192.0.2.1]:25: ECONNREFUSED',
      willRetryUntil: new Date(Date.UTC(2025, 0, 7, 3, 4, 5)),
    },
  ],
  original: { headers: ORIGINAL_HEADERS },
  from: 'MAILER-DAEMON@gw.example.org',
  to: 'alice@example.org',
  date: new Date(Date.UTC(2025, 0, 3, 3, 4, 5)),
  messageId: 'dsn-1@gw.example.org',
  boundary: 'report=_b1',
};

/** The body parts between the delimiters of `boundary`, each parsed as a message of its own. */
async function partsOf(raw: Buffer, boundary: string): Promise<{ preamble: string; parts: ParsedMail[]; rawParts: Buffer[]; epilogue: string }> {
  const text = raw.toString('latin1');
  const bodyStart = text.indexOf('\r\n\r\n') + 4;
  const pieces = text.slice(bodyStart).split(`--${boundary}`);
  const preamble = pieces.shift() ?? '';
  const epilogue = pieces.pop() ?? '';
  // The CRLF before each delimiter belongs to the delimiter (RFC 2046 §5.1.1).
  const rawParts = pieces.map((p) => Buffer.from(p.replace(/^\r\n/, '').replace(/\r\n$/, ''), 'latin1'));
  return { preamble, parts: await Promise.all(rawParts.map((p) => simpleParser(p))), rawParts, epilogue };
}

/** Delivery-status groups: unfolded `[name, value]` lines, one array per blank-line group. */
function statusGroups(body: string): Array<Array<[string, string]>> {
  return body
    .replace(/\r\n[ \t]+/g, ' ')
    .split(/\r\n\r\n/)
    .map((group) => group.split('\r\n').filter((l) => l !== ''))
    .filter((group) => group.length > 0)
    .map((group) => group.map((line): [string, string] => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()]));
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

describe('buildDsn', () => {
  it('writes a multipart/report with the notification headers', async () => {
    const raw = buildDsn(INPUT);
    const text = raw.toString('latin1');
    expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    expect(text.endsWith('\r\n')).toBe(true);
    const mail = await simpleParser(raw);
    expect(mail.from?.value).toEqual([{ name: 'Mail Delivery System', address: 'MAILER-DAEMON@gw.example.org' }]);
    expect(mail.to).toMatchObject({ value: [{ name: '', address: 'alice@example.org' }] });
    expect(mail.subject).toBe('Undelivered Mail Returned to Sender');
    expect(mail.date?.toISOString()).toBe('2025-01-03T03:04:05.000Z');
    expect(mail.messageId).toBe('<dsn-1@gw.example.org>');
    expect(mail.headers.get('auto-submitted')).toBe('auto-replied');
    expect(mail.headers.get('mime-version')).toBe('1.0');
    expect(mail.headers.get('content-type')).toEqual({ value: 'multipart/report', params: { 'report-type': 'delivery-status', boundary: 'report=_b1' } });
    // The original headers carry UTF-8, so the whole message is declared 8bit.
    expect(mail.headers.get('content-transfer-encoding')).toBe('8bit');
  });

  it('has the text, the delivery status and the original headers, in that order', async () => {
    const { preamble, parts, rawParts, epilogue } = await partsOf(buildDsn(INPUT), INPUT.boundary);
    expect(preamble).toBe('This is a delivery status notification in MIME format.\r\n\r\n');
    expect(epilogue).toBe('--\r\n');
    expect(parts.map((p) => p.headers.get('content-type'))).toEqual([
      { value: 'text/plain', params: { charset: 'us-ascii' } },
      { value: 'message/delivery-status', params: {} },
      { value: 'text/rfc822-headers', params: {} },
    ]);
    expect(parts.map((p) => p.headers.get('content-description'))).toEqual(['Notification', 'Delivery report', 'Undelivered message headers']);

    expect(parts[0]?.text).toBe(
      [
        'This is the mail system at gw.example.org.',
        '',
        'Your message could not be delivered to the following recipients:',
        '',
        '  <bob@example.net>',
        '    550 5.1.1 no such user here, and a rather long explanation that needs folding',
        '',
        'Your message has not been delivered yet to the following recipients.',
        'Delivery will be tried again; you need not resend it.',
        '',
        '  <carol@example.net>',
        '    451 4.4.1 cannot connect to mx.example.net[192.0.2.1]:25: ECONNREFUSED',
        '',
        'The delivery report and the headers of your message are attached.',
        '',
      ].join('\n'),
    );

    const statusBody = rawParts[1]?.toString('latin1').split('\r\n\r\n').slice(1).join('\r\n\r\n') ?? '';
    expect(statusGroups(statusBody)).toEqual([
      [
        ['Reporting-MTA', 'dns; gw.example.org'],
        ['Original-Envelope-Id', 'QQ314159'],
        ['Arrival-Date', 'Thu, 02 Jan 2025 03:04:05 +0000'],
      ],
      [
        ['Final-Recipient', 'rfc822; bob@example.net'],
        ['Action', 'failed'],
        ['Status', '5.1.1'],
        ['Remote-MTA', 'dns; mx.example.net'],
        ['Diagnostic-Code', 'smtp; 550 5.1.1 no such user here, and a rather long explanation that needs folding'],
        ['Last-Attempt-Date', 'Thu, 02 Jan 2025 03:04:06 +0000'],
      ],
      [
        ['Original-Recipient', 'rfc822; carol.original@example.net'],
        ['Final-Recipient', 'rfc822; carol@example.net'],
        ['Action', 'delayed'],
        ['Status', '4.4.1'],
        ['Diagnostic-Code', 'x-lnmp; 451 4.4.1 cannot connect to mx.example.net[192.0.2.1]:25: ECONNREFUSED'],
        ['Will-Retry-Until', 'Tue, 07 Jan 2025 03:04:05 +0000'],
      ],
    ]);
    // Folded, not cut: no line of the report is longer than 78 characters.
    expect(statusBody.split('\r\n').every((l) => l.length <= 78)).toBe(true);

    expect(parts[2]?.headers.get('content-transfer-encoding')).toBe('8bit');
    const headersBody = rawParts[2]?.subarray(rawParts[2].indexOf('\r\n\r\n') + 4);
    expect(headersBody?.equals(Buffer.from('From: Alice <alice@example.org>\r\nTo: bob@example.net, carol@example.net\r\nSubject: Grüße\r\n', 'utf8'))).toBe(true);
  });

  it('is a delay notice when no recipient failed, 7bit when everything is ASCII, without optional fields', async () => {
    const raw = buildDsn({
      ...INPUT,
      originalEnvelopeId: undefined,
      recipients: [{ address: 'carol@example.net', action: 'delayed', status: '4.2.2' }],
      original: { headers: Buffer.from('Subject: hi\r\n') },
    });
    const mail = await simpleParser(raw);
    expect(mail.subject).toBe('Delayed Mail (still being retried)');
    expect(mail.headers.get('content-transfer-encoding')).toBe('7bit');
    const { parts, rawParts } = await partsOf(raw, INPUT.boundary);
    expect(parts[0]?.text).toContain('  <carol@example.net>\n    status 4.2.2\n');
    expect(parts[0]?.text).not.toContain('could not be delivered');
    expect(parts[2]?.headers.get('content-transfer-encoding')).toBe('7bit');
    const statusBody = rawParts[1]?.toString('latin1').split('\r\n\r\n').slice(1).join('\r\n\r\n') ?? '';
    expect(statusGroups(statusBody)).toEqual([
      [
        ['Reporting-MTA', 'dns; gw.example.org'],
        ['Arrival-Date', 'Thu, 02 Jan 2025 03:04:05 +0000'],
      ],
      [
        ['Final-Recipient', 'rfc822; carol@example.net'],
        ['Action', 'delayed'],
        ['Status', '4.2.2'],
      ],
    ]);
  });

  it('is the same bytes for the same input', () => {
    expect(buildDsn(INPUT).equals(buildDsn(INPUT))).toBe(true);
  });

  it('replaces controls and non-ASCII in a diagnostic and cuts it to the limit', async () => {
    const long = `smtp; 550 5.7.1 ${'x'.repeat(2 * DSN_MAX_DIAGNOSTIC_CHARS)}`;
    const raw = buildDsn({
      ...INPUT,
      recipients: [
        { address: 'bob@example.net', action: 'failed', status: '5.7.1', diagnostic: 'smtp; 550 5.7.1 blocked\r\nX-Injected: yes — sorry\u0000' },
        { address: 'dave@example.net', action: 'failed', status: '5.7.1', diagnostic: long },
      ],
    });
    const { rawParts } = await partsOf(raw, INPUT.boundary);
    const groups = statusGroups(rawParts[1]?.toString('latin1').split('\r\n\r\n').slice(1).join('\r\n\r\n') ?? '');
    expect(groups[1]).toContainEqual(['Diagnostic-Code', 'smtp; 550 5.7.1 blocked X-Injected: yes ? sorry?']);
    expect(groups[2]).toContainEqual(['Diagnostic-Code', long.slice(0, DSN_MAX_DIAGNOSTIC_CHARS)]);
  });

  it('refuses values the report cannot carry, with the exact error', () => {
    const bob = INPUT.recipients[0] as DsnInput['recipients'][number];
    const cases: Array<[Partial<DsnInput>, string]> = [
      [{ recipients: [{ ...bob, status: '4.1.1' }] }, 'invalid_header_value: status of a failed recipient cannot be written into the report: "4.1.1"'],
      [{ recipients: [{ ...bob, action: 'delayed' }] }, 'invalid_header_value: status of a delayed recipient cannot be written into the report: "5.1.1"'],
      [{ recipients: [{ ...bob, status: '5.1' }] }, 'invalid_header_value: status of a failed recipient cannot be written into the report: "5.1"'],
      [{ recipients: [{ ...bob, address: 'bob@example.net\r\nBcc: x@y' }] }, 'invalid_header_value: not an email address a header can carry: "bob@example.net\\r\\nBcc: x@y"'],
      [{ recipients: [{ ...bob, address: 'δοκιμή@example.net' }] }, 'invalid_header_value: not an email address a header can carry: "δοκιμή@example.net"'],
      [{ recipients: [{ ...bob, diagnostic: '550 no type' }] }, 'invalid_header_value: diagnostic (expected "type; text") cannot be written into the report: "550 no type"'],
      [{ recipients: [{ ...bob, remoteMta: 'mx example' }] }, 'invalid_header_value: remoteMta cannot be written into the report: "mx example"'],
      [{ recipients: [{ ...bob, willRetryUntil: INPUT.date }] }, 'invalid_header_value: Will-Retry-Until is for delayed recipients only'],
      [{ reportingMta: 'gw.example.org; x=1' }, 'invalid_header_value: reportingMta cannot be written into the report: "gw.example.org; x=1"'],
      [{ originalEnvelopeId: 'id\r\nX: y' }, 'invalid_header_value: originalEnvelopeId must be printable ASCII without line breaks: "id\\r\\nX: y"'],
      [{ boundary: 'has space' }, 'invalid_header_value: boundary cannot be written into the report: "has space"'],
      [{ original: { headers: Buffer.from('X-Trap: 1\r\n--report=_b1\r\n') } }, 'invalid_header_value: the boundary "report=_b1" occurs in the content'],
      [{ messageId: 'not an id' }, 'invalid_header_value: not a message id: "not an id"'],
      [{ to: '' }, 'invalid_header_value: not an email address a header can carry: ""'],
      [{ date: new Date(Number.NaN) }, 'invalid_date: the date is not a valid Date'],
    ];
    for (const [change, message] of cases) {
      const err = thrown(() => buildDsn({ ...INPUT, ...change }));
      expect(err, message).toBeInstanceOf(ConverterError);
      expect((err as Error).message).toBe(message);
    }
    const empty = thrown(() => buildDsn({ ...INPUT, recipients: [] }));
    expect(empty).toBeInstanceOf(RangeError);
    expect((empty as Error).message).toBe('a delivery status notification needs at least one recipient');
  });
});
