// The properties of an Email read from its message (RFC 8621 §4.1), shared by Email/get and
// Email/parse: which were asked for (properties, bodyProperties, the fetch*BodyValues flags,
// checked once per request), and their values. Two ways in: the header alone (a summary: the
// header-derived properties, headers, header:*, preview and hasAttachment) and the whole
// message (the body model of email-body.ts besides). Both read header properties the same way,
// from the header bytes, and preview and hasAttachment by the stored summary's rules
// (converters/message-summary.ts), so a property has one value whichever way served it.
import { headerEnd } from '../../converters/header-fields.js';
import { summarize, type MessageSummary } from '../../converters/message-summary.js';
import { parseMime } from '../../converters/mime-parts.js';
import { bodyLists, bodyPartObject, bodyPropertiesOf, bodyTree, bodyValueOf, type BodyPart, type BodyPropertyList } from './email-body.js';
import { convenienceProperties, HEADER_CONVENIENCE, headerPropertyValue, parseHeaderProperty, rawHeaders, type HeaderProperty } from './email-header-forms.js';
import { MethodError } from './errors.js';

/** The metadata properties of a stored Email. */
export const META_PROPERTIES = ['id', 'blobId', 'threadId', 'mailboxIds', 'keywords', 'size', 'receivedAt'] as const;
/** RFC 8621 §4.9: Email/parse's default properties, and the part of Email/get's (§4.2) read from the message. */
export const CONTENT_DEFAULTS = [
  'messageId', 'inReplyTo', 'references', 'sender', 'from', 'to', 'cc', 'bcc', 'replyTo', 'subject', 'sentAt', 'hasAttachment', 'preview', 'bodyValues', 'textBody', 'htmlBody', 'attachments',
] as const;
/** Read from the message but not returned unless asked for. */
const CONTENT_ON_REQUEST = ['headers', 'bodyStructure'] as const;
export const CONTENT_PROPERTIES: ReadonlySet<string> = new Set([...CONTENT_DEFAULTS, ...CONTENT_ON_REQUEST]);
/** Read from the whole message's parts. */
const BODY = new Set(['bodyStructure', 'textBody', 'htmlBody', 'attachments', 'bodyValues']);

export interface EmailReadRequest {
  /** The asked properties in order, header:* included. */
  readonly properties: readonly string[];
  readonly headerProperties: ReadonlyMap<string, HeaderProperty>;
  readonly body: BodyPropertyList;
  readonly fetchText: boolean;
  readonly fetchHTML: boolean;
  readonly maxBytes: number;
}

export interface EmailReadArgs {
  readonly properties?: readonly string[] | null;
  readonly bodyProperties?: readonly string[] | null;
  readonly fetchTextBodyValues?: boolean;
  readonly fetchHTMLBodyValues?: boolean;
  readonly fetchAllBodyValues?: boolean;
  readonly maxBodyValueBytes?: number;
}

/** The request's properties checked against `known` (header:* besides), or invalidArguments naming the first it cannot serve. */
export function readRequestOf(args: EmailReadArgs, known: ReadonlySet<string>, defaults: readonly string[], always: readonly string[] = []): EmailReadRequest {
  const asked = args.properties ?? defaults;
  const headerProperties = new Map<string, HeaderProperty>();
  for (const p of asked) {
    if (known.has(p)) continue;
    const header = parseHeaderProperty(p);
    if (!header) throw new MethodError('invalidArguments', `unknown or unsupported property ${p}`);
    headerProperties.set(p, header);
  }
  return {
    properties: [...new Set([...(args.properties ? always : []), ...asked])],
    headerProperties,
    body: bodyPropertiesOf(args.bodyProperties),
    fetchText: args.fetchTextBodyValues === true || args.fetchAllBodyValues === true,
    fetchHTML: args.fetchHTMLBodyValues === true || args.fetchAllBodyValues === true,
    maxBytes: args.maxBodyValueBytes ?? 0,
  };
}

/** Whether any asked property is read from the message at all. */
export function readsMessage(request: EmailReadRequest): boolean {
  return request.properties.some((p) => CONTENT_PROPERTIES.has(p) || request.headerProperties.has(p));
}

/** Whether the header and a summary's preview and hasAttachment answer every asked property. */
export function summaryAnswers(request: EmailReadRequest): boolean {
  return !request.properties.some((p) => BODY.has(p));
}

/** What a header-only read gives of a message (converters/message-summary.ts). */
export type HeaderSummary = Pick<MessageSummary, 'header' | 'preview' | 'hasAttachment'>;

/** The asked properties a summary answers (see summaryAnswers): header ones, preview, hasAttachment. */
export function summaryProperties(summary: HeaderSummary, request: EmailReadRequest): Record<string, unknown> {
  const fields = rawHeaders(summary.header);
  const out: Record<string, unknown> = {};
  const asksConvenience = request.properties.some((p) => (HEADER_CONVENIENCE as readonly string[]).includes(p));
  const convenience = asksConvenience ? convenienceProperties(fields) : {};
  for (const p of request.properties) {
    const header = request.headerProperties.get(p);
    if (header) out[p] = headerPropertyValue(fields, header);
    else if (p === 'headers') out[p] = fields;
    else if (p === 'preview') out[p] = summary.preview;
    else if (p === 'hasAttachment') out[p] = summary.hasAttachment;
    else if (p in convenience) out[p] = convenience[p];
  }
  return out;
}

/** Every asked property read from the message `raw`, whose JMAP blob id is `blobId`. */
export function messageProperties(raw: Uint8Array, blobId: string, request: EmailReadRequest): Record<string, unknown> {
  const asksBody = request.properties.some((p) => BODY.has(p));
  const asksSummary = request.properties.some((p) => p === 'preview' || p === 'hasAttachment');
  // The MIME is parsed once, for the summary's walk and the body model's alike, and only when either is asked.
  const mime = asksBody || asksSummary ? parseMime(raw) : undefined;
  // summarize() is what the stored summary holds, so both ways give the same preview and hasAttachment;
  // unasked, they are never read, and the header alone is taken.
  const summary: HeaderSummary = asksSummary ? summarize(raw, mime) : { header: raw.subarray(0, headerEnd(raw)), preview: '', hasAttachment: false };
  const out = summaryProperties(summary, request);
  if (!asksBody) return out;
  const root = bodyTree(raw, mime);
  const lists = bodyLists(root);
  const part = (p: BodyPart): Record<string, unknown> => bodyPartObject(raw, p, blobId, request.body, false);
  for (const p of request.properties) {
    if (p === 'bodyStructure') out[p] = bodyPartObject(raw, root, blobId, request.body, true);
    else if (p === 'textBody' || p === 'htmlBody' || p === 'attachments') out[p] = lists[p].map(part);
    else if (p === 'bodyValues') out[p] = bodyValues(raw, lists.textBody, lists.htmlBody, request);
  }
  return out;
}

/** RFC 8621 §4.2: the values of the text parts of textBody and/or htmlBody, by partId. */
function bodyValues(raw: Uint8Array, textBody: readonly BodyPart[], htmlBody: readonly BodyPart[], request: EmailReadRequest): Record<string, unknown> {
  const parts = [...(request.fetchText ? textBody : []), ...(request.fetchHTML ? htmlBody : [])];
  const values: Record<string, unknown> = {};
  for (const p of parts) {
    if (p.partId !== null && p.type.startsWith('text/') && !(p.partId in values)) values[p.partId] = bodyValueOf(raw, p, request.maxBytes);
  }
  return values;
}
