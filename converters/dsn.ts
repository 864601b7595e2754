// Delivery status notifications (RFC 3464) for mail the gateway could not deliver or is still
// retrying: a multipart/report (RFC 6522) with a text for people, the machine-readable
// message/delivery-status, and the original header section as text/rfc822-headers. Pure: the
// date, boundary and Message-ID come in as parameters.
import { ConverterError } from './errors.js';
import { checkAddress, checkAscii, formatDate, formatMailbox, headerLine } from './headers.js';
import { formatMessageId } from './message-ids.js';

/** Diagnostic text kept per recipient: a remote reply is at most 512 octets per line (RFC 5321 §4.5.3.1.5). */
export const DSN_MAX_DIAGNOSTIC_CHARS = 900;

export interface DsnRecipient {
  /** The address delivery was attempted to (`Final-Recipient: rfc822; ...`). */
  readonly address: string;
  /** The ORCPT address, when the sender gave one (`Original-Recipient`). */
  readonly originalAddress?: string;
  readonly action: 'failed' | 'delayed';
  /** RFC 3463 status: `5.x.x` for failed, `4.x.x` for delayed. */
  readonly status: string;
  /** `<type>; <text>`, e.g. `smtp; 550 5.1.1 no such user`. Non-ASCII and controls become `?`. */
  readonly diagnostic?: string;
  /** Host name of the server that gave the diagnostic (`Remote-MTA: dns; ...`). */
  readonly remoteMta?: string;
  readonly lastAttemptDate?: Date;
  /** Delayed only: when the gateway gives up. */
  readonly willRetryUntil?: Date;
}

export interface DsnInput {
  /** Our host name (`Reporting-MTA: dns; ...`). */
  readonly reportingMta: string;
  /** The ENVID the sender gave, xtext-decoded. */
  readonly originalEnvelopeId?: string;
  /** When the gateway accepted the message. */
  readonly arrivalDate: Date;
  readonly recipients: readonly DsnRecipient[];
  /** The original header section (with or without its closing blank line; any line endings). */
  readonly original: { readonly headers: Uint8Array };
  /** Usually `MAILER-DAEMON@<domain>`. */
  readonly from: string;
  /** The original envelope sender. */
  readonly to: string;
  readonly date: Date;
  readonly messageId: string;
  /** The multipart boundary (RFC 2046 §5.1.1), e.g. random; must not occur in the content. */
  readonly boundary: string;
}

const DNS_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;
const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=?]{1,70}$/;

/**
 * The notification as bytes, CRLF line endings.
 * @throws ConverterError `invalid_header_value` for values the report cannot carry (addresses,
 *   host names, statuses that do not fit their action, a boundary found in the content);
 *   `invalid_date`; RangeError without recipients.
 */
export function buildDsn(input: DsnInput): Buffer {
  if (input.recipients.length === 0) throw new RangeError('a delivery status notification needs at least one recipient');
  const boundary = check(BOUNDARY.test(input.boundary), input.boundary, 'boundary');
  const messageId = formatMessageId(checkAscii(input.messageId, 'messageId').trim());
  if (messageId === undefined) throw new ConverterError('invalid_header_value', `not a message id: ${JSON.stringify(input.messageId)}`);
  const failed = input.recipients.some((r) => r.action === 'failed');

  const parts = [
    { headers: ['Content-Type: text/plain; charset=us-ascii', 'Content-Description: Notification', 'Content-Transfer-Encoding: 7bit'], body: humanText(input) },
    { headers: ['Content-Type: message/delivery-status', 'Content-Description: Delivery report'], body: deliveryStatus(input) },
    originalHeadersPart(input.original.headers),
  ];
  for (const part of parts) {
    if (part.body.split('\r\n').some((line) => line.startsWith(`--${boundary}`))) {
      throw new ConverterError('invalid_header_value', `the boundary ${JSON.stringify(boundary)} occurs in the content`);
    }
  }
  const eightBit = parts.some((p) => /[^\p{ASCII}]/u.test(p.body));
  const head =
    headerLine('From', formatMailbox({ name: 'Mail Delivery System', address: input.from })) +
    headerLine('To', formatMailbox({ address: input.to })) +
    headerLine('Subject', failed ? 'Undelivered Mail Returned to Sender' : 'Delayed Mail (still being retried)') +
    headerLine('Date', formatDate(input.date)) +
    headerLine('Message-ID', messageId) +
    // RFC 3834 §5: an automatic response; replies to it must not be automatic either.
    headerLine('Auto-Submitted', 'auto-replied') +
    headerLine('MIME-Version', '1.0') +
    headerLine('Content-Type', `multipart/report; report-type=delivery-status; boundary="${boundary}"`) +
    headerLine('Content-Transfer-Encoding', eightBit ? '8bit' : '7bit');
  const body = parts.map((p) => `--${boundary}\r\n${p.headers.map((h) => `${h}\r\n`).join('')}\r\n${p.body}\r\n`).join('');
  // latin1 keeps the original header bytes (which may be 8-bit) exactly as they were.
  return Buffer.from(`${head}\r\nThis is a delivery status notification in MIME format.\r\n\r\n${body}--${boundary}--\r\n`, 'latin1');
}

function check(ok: boolean, value: string, what: string): string {
  if (!ok) throw new ConverterError('invalid_header_value', `${what} cannot be written into the report: ${JSON.stringify(value)}`);
  return value;
}

const hostName = (value: string, what: string): string => check(DNS_NAME.test(value), value, what);

/** `type; text` with controls and non-ASCII replaced, cut to DSN_MAX_DIAGNOSTIC_CHARS. */
function diagnosticOf(r: DsnRecipient): string | undefined {
  if (r.diagnostic === undefined) return undefined;
  const clean = r.diagnostic.replace(/[\r\n\t]+/g, ' ').replace(/[^ -~]/g, '?').trim().slice(0, DSN_MAX_DIAGNOSTIC_CHARS);
  check(/^[A-Za-z0-9-]+; *\S/.test(clean), r.diagnostic, 'diagnostic (expected "type; text")');
  return clean;
}

function statusOf(r: DsnRecipient): string {
  const first = r.action === 'failed' ? '5' : '4';
  return check(new RegExp(`^${first}\\.\\d{1,3}\\.\\d{1,3}$`).test(r.status), r.status, `status of a ${r.action} recipient`);
}

/** RFC 3464 §2.2 per-message fields, then §2.3 per-recipient fields, one group per recipient. */
function deliveryStatus(input: DsnInput): string {
  let out = headerLine('Reporting-MTA', `dns; ${hostName(input.reportingMta, 'reportingMta')}`);
  if (input.originalEnvelopeId !== undefined) out += headerLine('Original-Envelope-Id', checkAscii(input.originalEnvelopeId, 'originalEnvelopeId'));
  out += headerLine('Arrival-Date', formatDate(input.arrivalDate));
  for (const r of input.recipients) {
    out += '\r\n';
    if (r.originalAddress !== undefined) out += headerLine('Original-Recipient', `rfc822; ${checkAddress(r.originalAddress)}`);
    out += headerLine('Final-Recipient', `rfc822; ${checkAddress(r.address)}`);
    out += headerLine('Action', r.action);
    out += headerLine('Status', statusOf(r));
    if (r.remoteMta !== undefined) out += headerLine('Remote-MTA', `dns; ${hostName(r.remoteMta, 'remoteMta')}`);
    const diagnostic = diagnosticOf(r);
    if (diagnostic !== undefined) out += headerLine('Diagnostic-Code', diagnostic);
    if (r.lastAttemptDate !== undefined) out += headerLine('Last-Attempt-Date', formatDate(r.lastAttemptDate));
    if (r.willRetryUntil !== undefined) {
      if (r.action !== 'delayed') throw new ConverterError('invalid_header_value', 'Will-Retry-Until is for delayed recipients only');
      out += headerLine('Will-Retry-Until', formatDate(r.willRetryUntil));
    }
  }
  return out;
}

/** What the sender reads first: which recipients failed or wait, and why. */
function humanText(input: DsnInput): string {
  const lines = [`This is the mail system at ${hostName(input.reportingMta, 'reportingMta')}.`, ''];
  const describe = (r: DsnRecipient) => [`  <${checkAddress(r.address)}>`, `    ${diagnosticOf(r)?.replace(/^[^;]*; */, '') ?? `status ${statusOf(r)}`}`, ''];
  const failed = input.recipients.filter((r) => r.action === 'failed');
  const delayed = input.recipients.filter((r) => r.action === 'delayed');
  if (failed.length > 0) {
    lines.push('Your message could not be delivered to the following recipients:', '', ...failed.flatMap(describe));
  }
  if (delayed.length > 0) {
    lines.push('Your message has not been delivered yet to the following recipients.', 'Delivery will be tried again; you need not resend it.', '');
    lines.push(...delayed.flatMap(describe));
  }
  lines.push('The delivery report and the headers of your message are attached.');
  return lines.map((l) => `${l}\r\n`).join('');
}

/** RFC 6522 text/rfc822-headers: the header section with CRLF line endings, 8bit when it has to be. */
function originalHeadersPart(headers: Uint8Array): { headers: string[]; body: string } {
  const text = Buffer.from(headers)
    .toString('latin1')
    .replace(/\r\n|\r|\n/g, '\r\n')
    .replace(/(?:\r\n)+$/, '');
  const body = text === '' ? '' : `${text}\r\n`;
  const encoding = /[^\p{ASCII}]/u.test(body) ? '8bit' : '7bit';
  return { headers: ['Content-Type: text/rfc822-headers', 'Content-Description: Undelivered message headers', `Content-Transfer-Encoding: ${encoding}`], body };
}
