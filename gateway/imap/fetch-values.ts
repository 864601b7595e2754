// The value of each FETCH data item for one message. Bytes (BODY[...], RFC822*) are slices
// of the stored message, so they are exactly what was delivered; ENVELOPE, BODYSTRUCTURE
// and BODY come from the engine's own MIME indexer.
import type { MessageMeta } from '../../services/message-service.js';
import { headerLength, parseMime, sectionBytes, type MimePart } from './body-sections.js';
import { indexer, type EngineSession, type FetchQueryItem } from './engine.js';
import { envelopeFields, plainEnvelope } from './envelope.js';

/** Items that need the message bytes, not just the metadata row. */
export function needsBody(query: readonly FetchQueryItem[]): boolean {
  return query.some((q) => ['body', 'bodystructure', 'envelope', 'rfc822', 'rfc822.header', 'rfc822.text'].includes(q.item));
}

/** Items answered from the metadata row alone. */
const METADATA_ITEMS = new Set(['uid', 'flags', 'modseq', 'internaldate', 'rfc822.size']);
/** BODY[...] sections of the top-level header (with or without PEEK and <partial>). */
const HEADER_SECTIONS = new Set(['header', 'header.fields', 'header.fields.not']);

/**
 * Every item is metadata or served by the message's top-level header alone (ENVELOPE,
 * RFC822.HEADER, BODY[HEADER], BODY[HEADER.FIELDS (...)], BODY[HEADER.FIELDS.NOT (...)]): the
 * header from the stored summary gives the same bytes as the whole message would.
 */
export function needsHeaderOnly(query: readonly FetchQueryItem[]): boolean {
  return query.every((q) =>
    METADATA_ITEMS.has(q.item) || q.item === 'envelope' || q.item === 'rfc822.header'
    || (q.item === 'body' && q.path === '' && q.type !== undefined && HEADER_SECTIONS.has(q.type.toLowerCase())));
}

interface Parsed {
  raw: Buffer;
  mime?: MimePart;
  tree?: unknown;
}

export function fetchValues(query: readonly FetchQueryItem[], meta: MessageMeta, raw: Uint8Array | undefined, session: EngineSession): unknown[] {
  const parsed: Parsed | undefined = raw ? { raw: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength) } : undefined;
  return query.map((item) => valueOf(item, meta, parsed, session));
}

function valueOf(item: FetchQueryItem, meta: MessageMeta, p: Parsed | undefined, session: EngineSession): unknown {
  switch (item.item) {
    case 'uid':
      return meta.uid;
    case 'flags':
      return meta.flags;
    case 'modseq':
      return meta.modseq;
    case 'internaldate':
      return meta.internalDate;
    case 'rfc822.size':
      return meta.size;
  }
  if (!p) throw new Error(`FETCH ${item.item} needs the message body`);
  switch (item.item) {
    case 'rfc822':
      return p.raw;
    case 'rfc822.header':
      return section(p, { path: '', type: 'header' });
    case 'rfc822.text':
      return section(p, { path: '', type: 'text' });
    case 'body':
      if (item.type === undefined) return engineValue(item, p, session);
      return partial(item, section(p, { path: item.path ?? '', type: item.type, ...(item.headers ? { headers: item.headers } : {}) }));
    case 'envelope':
      return envelopeValue(item, p, session);
    default:
      // bodystructure
      return engineValue(item, p, session);
  }
}

function section(p: Parsed, spec: { path: string; type: string; headers?: string[] }): Buffer {
  p.mime ??= parseMime(p.raw);
  const bytes = sectionBytes(p.raw, p.mime, spec);
  return bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : Buffer.alloc(0);
}

/** `<origin.length>`: the slice asked for; the response names the origin only (RFC 3501 §7.4.2). */
function partial(item: FetchQueryItem, bytes: Buffer): Buffer {
  if (!item.partial) return bytes;
  const { startFrom, maxLength } = item.partial;
  const original = item.original as { partial?: number[] };
  if (original.partial && original.partial.length > 1) original.partial = [startFrom];
  return bytes.subarray(Math.min(startFrom, bytes.length), maxLength > 0 ? Math.min(startFrom + maxLength, bytes.length) : bytes.length);
}

function engineValue(item: FetchQueryItem, p: Parsed, session: EngineSession): unknown {
  p.tree ??= indexer.parseMimeTree(p.raw);
  return session.getQueryResponse([item], { raw: p.raw, mimeTree: p.tree }, { acceptUTF8Enabled: session.isUTF8Enabled() })[0];
}

/**
 * ENVELOPE is built from the top-level header only: directly when nothing in it needs decoding
 * or encoding, else by the engine from a tree holding just the envelope's header fields
 * (or from the whole message's tree if another item parsed it).
 */
function envelopeValue(item: FetchQueryItem, p: Parsed, session: EngineSession): unknown {
  const utf8 = session.isUTF8Enabled();
  let tree = p.tree;
  if (!tree) {
    const parsedHeader = envelopeFields(p.raw.subarray(0, headerLength(p.raw)));
    const plain = utf8 ? undefined : plainEnvelope(parsedHeader);
    if (plain) return plain;
    tree = { parsedHeader };
  }
  return session.getQueryResponse([item], { raw: p.raw, mimeTree: tree }, { acceptUTF8Enabled: utf8 })[0];
}
