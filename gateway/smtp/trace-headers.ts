// The trace header the MX prepends to every accepted message (RFC 5321 §4.4): who connected
// (HELO name and IP), who received it, with which protocol, a queue id, for whom and when.
// Pure: the date and queue id are parameters.
import { isIPv6 } from 'node:net';

export interface ReceivedInput {
  /** The HELO/EHLO name the client gave; client-controlled. */
  readonly helo: string;
  readonly remoteAddress: string;
  /** Our host name (`config.hostname`). */
  readonly hostname: string;
  /** `ESMTP`, `ESMTPS` (after STARTTLS), `SMTP` (after HELO); `ESMTPSA` after AUTH over TLS (RFC 3848). */
  readonly protocol: 'SMTP' | 'ESMTP' | 'ESMTPS' | 'SMTPS' | 'ESMTPA' | 'ESMTPSA';
  readonly queueId: string;
  /** Named only for a single recipient, so one copy does not reveal the others. */
  readonly recipients: readonly string[];
  readonly date: Date;
}

const PRINTABLE = /^[\x21-\x7e]+$/;
// Parentheses would end the comment or the clause early in parsers of Received headers.
const safe = (text: string) => (PRINTABLE.test(text) && !/[()<>;]/.test(text) ? text : 'unknown');

export function receivedHeader(r: ReceivedInput): string {
  const ip = isIPv6(r.remoteAddress) ? `IPv6:${r.remoteAddress}` : r.remoteAddress;
  const only = r.recipients.length === 1 ? r.recipients[0] : undefined;
  const forClause = only !== undefined && PRINTABLE.test(only) && !/[<>;]/.test(only) ? `\r\n\tfor <${only}>` : '';
  return `Received: from ${safe(r.helo)} ([${ip}])\r\n\tby ${r.hostname} with ${r.protocol} id ${r.queueId}${forClause};\r\n\t${rfc5322Date(r.date)}\r\n`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');

/** `Tue, 05 Nov 2024 08:12:31 +0000` (RFC 5322 §3.3), always in UTC. */
export function rfc5322Date(d: Date): string {
  return `${DAYS[d.getUTCDay()]}, ${two(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}
