// Writing header fields for the MIME builder: encoded-words (RFC 2047) for text a plain header
// cannot carry exactly, folding at 76 columns, RFC 5322 dates, and checks that keep caller
// values from injecting header lines.
import libmime from 'libmime';
import { ConverterError } from './errors.js';

/** Recommended line length (RFC 5322 §2.1.1); encoded-words are kept short enough to fit. */
const FOLD_AT = 76;
const ENCODED_WORD_MAX = 52;

/** Printable ASCII words separated by single spaces, none too long to fold, nothing that decodes. */
function isPlainHeaderText(s: string): boolean {
  return /^[!-~]{1,70}(?: [!-~]{1,70})*$/.test(s) && !s.includes('=?');
}

/**
 * Unstructured text (Subject): plain when that survives unfolding exactly, else UTF-8 base64
 * encoded-words, which carry every character (leading spaces, tabs, line breaks) unchanged.
 */
export function encodeUnstructured(s: string): string {
  return isPlainHeaderText(s) ? s : libmime.encodeWord(s, 'B', ENCODED_WORD_MAX);
}

/** `Name: value` folded at spaces, ending in CRLF. */
export function headerLine(name: string, value: string): string {
  return `${libmime.foldLines(`${name}: ${value}`, FOLD_AT).replace(/\r?\n/g, '\r\n')}\r\n`;
}

/** Rejects values a structured header cannot carry (line breaks, controls, non-ASCII). */
export function checkAscii(value: string, what: string): string {
  if (!/^[ -~]*$/.test(value)) {
    throw new ConverterError('invalid_header_value', `${what} must be printable ASCII without line breaks: ${JSON.stringify(value)}`);
  }
  return value;
}

const ADDR_SPEC = /^[!#-'*+\-/-9=?A-Z^-~.]+@[A-Za-z0-9.-]+$/;

/** An addr-spec: dot-atom local part (which allows `#`) and an ASCII host. */
export function checkAddress(address: string): string {
  if (!ADDR_SPEC.test(address)) {
    throw new ConverterError('invalid_header_value', `not an email address a header can carry: ${JSON.stringify(address)}`);
  }
  return address;
}

/** `"Display Name" <address>`, the name as an encoded-word when it is not plain ASCII. */
export function formatMailbox(mailbox: { name?: string | undefined; address: string }): string {
  const address = checkAddress(mailbox.address);
  const name = mailbox.name ?? '';
  if (name === '') return `<${address}>`;
  if (/^[ -~]*$/.test(name)) return `"${name.replace(/["\\]/g, '\\$&')}" <${address}>`;
  return `${libmime.encodeWord(name, 'B', ENCODED_WORD_MAX)} <${address}>`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/** RFC 5322 date-time in UTC: `Thu, 01 Jan 2026 09:05:00 +0000`. */
export function formatDate(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new ConverterError('invalid_date');
  const p2 = (n: number) => String(n).padStart(2, '0');
  return (
    `${DAYS[date.getUTCDay()]}, ${p2(date.getUTCDate())} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()} ` +
    `${p2(date.getUTCHours())}:${p2(date.getUTCMinutes())}:${p2(date.getUTCSeconds())} +0000`
  );
}
