// The header fields of a message or body part as Email/get and Email/parse serve them (RFC 8621
// §4.1.2-4.1.3): `headers` (every field, raw), `header:{name}[:as{Form}][:all]` in the forms Raw,
// Text, Addresses, GroupedAddresses, MessageIds, Date and URLs, and the convenience properties
// (from, subject, sentAt, ...) that are such forms of one field. Read from the header bytes
// alone, so a header-only read answers them. The create side is email-headers.ts.
import libmime from 'libmime';
import addressparser from 'nodemailer/lib/addressparser';
import { headerEnd, headerFields } from '../../converters/header-fields.js';
import { utcDate, type EmailAddress } from './email-content.js';

export interface RawHeader {
  /** The field name as written. */
  readonly name: string;
  /** Everything after the colon up to the field's final line break, folding kept. */
  readonly value: string;
}

export interface EmailAddressGroup {
  readonly name: string | null;
  readonly addresses: EmailAddress[];
}

export type HeaderForm = 'Raw' | 'Text' | 'Addresses' | 'GroupedAddresses' | 'MessageIds' | 'Date' | 'URLs';

/** A parsed `header:{name}[:as{Form}][:all]` property. */
export interface HeaderProperty {
  readonly property: string;
  /** Lowercased field name. */
  readonly name: string;
  readonly form: HeaderForm;
  readonly all: boolean;
}

const FORMS: ReadonlySet<string> = new Set(['Raw', 'Text', 'Addresses', 'GroupedAddresses', 'MessageIds', 'Date', 'URLs']);
const FIELD_NAME = /^[!-9;-~]+$/;

const ADDRESS_FIELDS = ['from', 'sender', 'reply-to', 'to', 'cc', 'bcc', 'resent-from', 'resent-sender', 'resent-reply-to', 'resent-to', 'resent-cc', 'resent-bcc'];
const ID_FIELDS = ['message-id', 'in-reply-to', 'references', 'resent-message-id'];
const DATE_FIELDS = ['date', 'resent-date'];
const URL_FIELDS = ['list-help', 'list-unsubscribe', 'list-subscribe', 'list-post', 'list-owner', 'list-archive'];
const TEXT_FIELDS = ['subject', 'comments', 'keywords'];
/** The fields RFC 5322 and RFC 2369 define: each allows Raw and only the forms listed for it; any other field (List-Id too) allows every form. */
const DEFINED: ReadonlyMap<string, ReadonlySet<HeaderForm>> = new Map<string, ReadonlySet<HeaderForm>>([
  ...ADDRESS_FIELDS.map((f) => [f, new Set<HeaderForm>(['Raw', 'Addresses', 'GroupedAddresses'])] as const),
  ...ID_FIELDS.map((f) => [f, new Set<HeaderForm>(['Raw', 'MessageIds'])] as const),
  ...DATE_FIELDS.map((f) => [f, new Set<HeaderForm>(['Raw', 'Date'])] as const),
  ...URL_FIELDS.map((f) => [f, new Set<HeaderForm>(['Raw', 'URLs'])] as const),
  ...TEXT_FIELDS.map((f) => [f, new Set<HeaderForm>(['Raw', 'Text'])] as const),
  ['return-path', new Set<HeaderForm>(['Raw'])],
  ['received', new Set<HeaderForm>(['Raw'])],
]);

/** `property` as a header property; undefined when it is not one or asks for a form the field does not allow. */
export function parseHeaderProperty(property: string): HeaderProperty | undefined {
  const parts = property.split(':');
  if (parts[0] !== 'header' || parts.length < 2 || parts.length > 4) return undefined;
  const name = parts[1]!;
  if (!FIELD_NAME.test(name)) return undefined;
  let rest = parts.slice(2);
  const all = rest[rest.length - 1] === 'all';
  if (all) rest = rest.slice(0, -1);
  if (rest.length > 1) return undefined;
  let form: HeaderForm = 'Raw';
  if (rest.length === 1) {
    const asForm = rest[0]!;
    if (!asForm.startsWith('as') || !FORMS.has(asForm.slice(2))) return undefined;
    form = asForm.slice(2) as HeaderForm;
  }
  const lower = name.toLowerCase();
  const allowed = DEFINED.get(lower);
  if (allowed && !allowed.has(form)) return undefined;
  return { property, name: lower, form, all };
}

/** The fields of the header between `start` and `end` of `raw`, in order, names and values as written. */
export function rawHeaders(raw: Uint8Array, start = 0, end = headerEnd(raw, start)): RawHeader[] {
  return headerFields(raw, start, end).map((f) => {
    const text = decodeOctets(raw.subarray(f.start, f.end));
    const colon = text.indexOf(':');
    return { name: text.slice(0, colon).trim(), value: text.slice(colon + 1).replace(/\r?\n$/, '') };
  });
}

/** The value of a header property over a part's fields: the last instance (null when absent), or every instance with `:all`. */
export function headerPropertyValue(fields: readonly RawHeader[], p: HeaderProperty): unknown {
  const values = fields.filter((f) => f.name.toLowerCase() === p.name).map((f) => formValue(f.value, p.form));
  return p.all ? values : values.length > 0 ? values[values.length - 1] : null;
}

/** The Email properties that are a form of one field (RFC 8621 §4.1.3), from the message's fields. sentAt stays in UTC. */
export function convenienceProperties(fields: readonly RawHeader[]): Record<string, unknown> {
  const last = (name: string, form: HeaderForm): unknown => headerPropertyValue(fields, { property: '', name, form, all: false });
  const date = last('date', 'Date') as string | null;
  return {
    messageId: last('message-id', 'MessageIds'),
    inReplyTo: last('in-reply-to', 'MessageIds'),
    references: last('references', 'MessageIds'),
    sender: last('sender', 'Addresses'),
    from: last('from', 'Addresses'),
    to: last('to', 'Addresses'),
    cc: last('cc', 'Addresses'),
    bcc: last('bcc', 'Addresses'),
    replyTo: last('reply-to', 'Addresses'),
    subject: last('subject', 'Text'),
    sentAt: date === null ? null : utcDate(new Date(date)),
  };
}

export const HEADER_CONVENIENCE = ['messageId', 'inReplyTo', 'references', 'sender', 'from', 'to', 'cc', 'bcc', 'replyTo', 'subject', 'sentAt'] as const;

export function formValue(raw: string, form: HeaderForm): unknown {
  switch (form) {
    case 'Raw':
      return raw;
    case 'Text':
      return asText(raw);
    case 'Addresses':
      return asGroupedAddresses(raw).flatMap((g) => g.addresses);
    case 'GroupedAddresses':
      return asGroupedAddresses(raw);
    case 'MessageIds':
      return asMessageIds(raw);
    case 'Date':
      return asDate(raw);
    case 'URLs':
      return asUrls(raw);
  }
}

/** Header bytes as UTF-8 when they are, else latin1 (one octet, one character). */
function decodeOctets(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  }
}

function unfold(raw: string): string {
  return raw.replace(/\r?\n(?=[ \t])/g, '');
}

/** Unfolded, leading blanks removed, encoded words decoded (control characters dropped), NFC. */
function asText(raw: string): string {
  return decodeWords(unfold(raw).replace(/^[ \t]+/, ''));
}

function decodeWords(text: string): string {
  if (!text.includes('=?')) return text.normalize('NFC');
  // eslint-disable-next-line no-control-regex
  return libmime.decodeWords(text).replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g, '').normalize('NFC');
}

interface ParsedAddress {
  name?: string;
  address?: string;
  group?: ParsedAddress[];
}

function asGroupedAddresses(raw: string): EmailAddressGroup[] {
  const parsed = addressparser(unfold(raw).trim()) as ParsedAddress[];
  const groups: EmailAddressGroup[] = [];
  let ungrouped: EmailAddress[] | undefined;
  for (const entry of parsed) {
    if (entry.group) {
      ungrouped = undefined;
      groups.push({ name: entry.name ? decodeWords(entry.name) : '', addresses: entry.group.map(emailAddress) });
    } else {
      if (!ungrouped) groups.push({ name: null, addresses: (ungrouped = []) });
      ungrouped.push(emailAddress(entry));
    }
  }
  return groups;
}

function emailAddress(a: ParsedAddress): EmailAddress {
  return { name: a.name ? decodeWords(a.name) : null, email: a.address ?? '' };
}

/** The msg-ids without angle brackets; null when there is none. Ids written without brackets are taken as words. */
function asMessageIds(raw: string): string[] | null {
  const value = stripComments(unfold(raw));
  const bracketed = value.match(/<[^<>]*>/g);
  const list = bracketed ? bracketed.map((id) => id.slice(1, -1).replace(/\s+/g, '')) : value.split(/\s+/);
  const ids = list.filter((id) => id !== '');
  return ids.length > 0 ? ids : null;
}

function asUrls(raw: string): string[] | null {
  const urls = stripComments(unfold(raw)).match(/<[^<>]*>/g);
  return urls ? urls.map((u) => u.slice(1, -1).replace(/\s+/g, '')) : null;
}

function stripComments(value: string): string {
  let out = '';
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\\' && (quoted || depth > 0)) {
      if (depth === 0) out += c + (value[i + 1] ?? '');
      i++;
    } else if (depth === 0 && c === '"') {
      quoted = !quoted;
      out += c;
    } else if (!quoted && c === '(') depth++;
    else if (!quoted && c === ')' && depth > 0) depth--;
    else if (depth === 0) out += c;
  }
  return out;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
/** The obsolete zone names of RFC 5322 §4.3, in minutes east of UTC; military letters are -0000 (unknown). */
const ZONES: Readonly<Record<string, number>> = { ut: 0, utc: 0, gmt: 0, z: 0, est: -300, edt: -240, cst: -360, cdt: -300, mst: -420, mdt: -360, pst: -480, pdt: -420 };
const DATE = /^(?:[a-z]+\s*,?\s*)?(\d{1,2})\s+([a-z]{3})[a-z]*\s+(\d{2,4})\s+(\d{1,2})\s*:\s*(\d{2})(?:\s*:\s*(\d{2}))?\s*([+-]\d{4}|[a-z]{1,5})?\s*$/i;

/** RFC 5322 §3.3 date-time as RFC 3339 with its own offset; null when it does not parse. */
function asDate(raw: string): string | null {
  const m = DATE.exec(stripComments(unfold(raw)).trim());
  if (!m) return null;
  const [, d, mon, y, hh, mm, ss = '00', zone = '-0000'] = m;
  const month = MONTHS.indexOf(mon!.toLowerCase());
  let year = Number(y);
  if (y!.length === 2) year += year < 50 ? 2000 : 1900;
  else if (y!.length === 3) year += 1900;
  let offset: number;
  if (/^[+-]\d{4}$/.test(zone)) offset = (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3)));
  else offset = ZONES[zone.toLowerCase()] ?? 0;
  const [day, hour, minute, second] = [Number(d), Number(hh), Number(mm), Number(ss)];
  if (month < 0 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null;
  const utc = Date.UTC(year, month, day, hour, minute, Math.min(second, 59)) - offset * 60_000;
  if (Number.isNaN(utc)) return null;
  const local = new Date(utc + offset * 60_000).toISOString().slice(0, 19);
  if (offset === 0) return `${local}Z`;
  const abs = Math.abs(offset);
  return `${local}${offset < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
