// The `header:{name}[:as{Form}]` properties of an Email being created (RFC 8621 §4.1.2-4.1.3),
// as raw field values for the MIME builder: each form's value checked and written in RFC 5322
// form (encoded-words, mailboxes, message ids, dates, URLs). A field also set through a
// convenience property (from, subject, ...) or a Content-* field is refused (§4.6).
import { ConverterError } from '../../converters/errors.js';
import { encodeUnstructured, formatDate, formatMailbox } from '../../converters/headers.js';
import { formatMessageId } from '../../converters/message-ids.js';

/** Fields the convenience properties write; a header:{name} of one of them is refused. */
const CONVENIENCE: Readonly<Record<string, string>> = {
  from: 'from', sender: 'sender', to: 'to', cc: 'cc', bcc: 'bcc', 'reply-to': 'replyTo', subject: 'subject', date: 'sentAt', 'message-id': 'messageId', 'in-reply-to': 'inReplyTo', references: 'references',
};
const FIELD_NAME = /^[!-9;-~]+$/;

export class InvalidHeader extends Error {
  constructor(readonly property: string) {
    super(property);
  }
}

/** The raw fields of the header:* properties of `create` (others are left alone). @throws InvalidHeader */
export function headerProperties(create: Readonly<Record<string, unknown>>): Array<{ name: string; value: string }> {
  const fields: Array<{ name: string; value: string }> = [];
  for (const [property, value] of Object.entries(create)) {
    if (!property.startsWith('header:')) continue;
    const [, name = '', form = 'Raw', ...rest] = property.split(':');
    const lower = name.toLowerCase();
    const convenience = CONVENIENCE[lower];
    if (rest.length > 0 || !FIELD_NAME.test(name) || lower.startsWith('content-') || (convenience !== undefined && create[convenience] !== undefined && create[convenience] !== null)) {
      throw new InvalidHeader(property);
    }
    if (value === null || value === undefined) continue;
    try {
      fields.push({ name, value: rawValue(form, value) });
    } catch (err) {
      if (err instanceof InvalidHeader || err instanceof ConverterError) throw new InvalidHeader(property);
      throw err;
    }
  }
  return fields;
}

function rawValue(form: string, value: unknown): string {
  switch (form) {
    case 'Raw':
      if (typeof value !== 'string') break;
      return value.replace(/^[ \t]+/, '');
    case 'asText':
      if (typeof value !== 'string') break;
      return encodeUnstructured(value);
    case 'asAddresses':
      if (!isAddressList(value)) break;
      return value.map((a) => formatMailbox({ name: a.name ?? undefined, address: a.email })).join(', ');
    case 'asMessageIds':
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) break;
      return value.map((id: string) => formatMessageId(id) ?? fail()).join(' ');
    case 'asDate': {
      const date = typeof value === 'string' ? new Date(value) : undefined;
      if (!date || Number.isNaN(date.getTime())) break;
      return formatDate(date);
    }
    case 'asURLs':
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && /^[!-~]+$/.test(v) && !/[<>]/.test(v))) break;
      return value.map((url: string) => `<${url}>`).join(', ');
  }
  return fail();
}

function isAddressList(value: unknown): value is Array<{ name?: string | null; email: string }> {
  return Array.isArray(value) && value.every((a) => typeof a === 'object' && a !== null && typeof (a as { email?: unknown }).email === 'string');
}

function fail(): never {
  throw new InvalidHeader('');
}
