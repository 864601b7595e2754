// Message-ID ⇄ LNMP threadId/replyTo. On the way in: ids lowercase, angle brackets stripped,
// capped at the schema's 128 chars. On the way out: LNMP ids (64 hex, no "@") get the
// reserved domain `@lnmp.invalid` so the header is a valid RFC 5322 msg-id; it is removed again
// on the way in, so LNMP ids survive a MIME round trip.
import { MimeLimits } from './limits.js';
import { truncateChars } from './truncate.js';

/** Domain appended to an id without one; `.invalid` is reserved (RFC 2606) and never resolves. */
export const LNMP_ID_DOMAIN = 'lnmp.invalid';

/** Printable ASCII without whitespace, `<`, `>` (what a msg-id can carry between the brackets). */
const MSG_ID_CHARS = /^[!-;=?-~]+$/;

/** Every `<...>` id in a header value, in order; a bare value without brackets counts as one id. */
export function parseMessageIds(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  const parts = typeof value === 'string' ? [value] : value;
  const ids: string[] = [];
  for (const part of parts) {
    const bracketed = [...part.matchAll(/<([^<>]*)>/g)].map((m) => m[1] ?? '');
    const found = bracketed.length > 0 ? bracketed : part.split(/\s+/);
    for (const id of found) {
      const clean = normaliseMessageId(id);
      if (clean) ids.push(clean);
    }
  }
  return ids;
}

/** Lowercase, without brackets, whitespace or the `@lnmp.invalid` suffix, at most 128 chars. */
export function normaliseMessageId(id: string): string {
  let s = id.trim().replace(/^<|>$/g, '').replace(/\s+/g, '').toLowerCase();
  if (s.endsWith(`@${LNMP_ID_DOMAIN}`)) s = s.slice(0, -(LNMP_ID_DOMAIN.length + 1));
  return truncateChars(s, MimeLimits.MAX_MESSAGE_ID_CHARS);
}

/**
 * `<id>` for a header, or undefined when the id cannot be written as a msg-id (empty, spaces,
 * control or non-ASCII characters): such an id is left out rather than corrupting the header.
 */
export function formatMessageId(id: string): string | undefined {
  const bare = id.replace(/^<|>$/g, '');
  if (!MSG_ID_CHARS.test(bare)) return undefined;
  return bare.includes('@') ? `<${bare}>` : `<${bare}@${LNMP_ID_DOMAIN}>`;
}

export interface ThreadIds {
  threadId?: string;
  replyTo?: string;
}

/**
 * replyTo = the In-Reply-To id; threadId = the first References id (the thread root), else
 * In-Reply-To, else the message's own Message-ID (a new thread starts at its first message).
 */
export function threadIdsOf(headers: {
  messageId?: string | undefined;
  inReplyTo?: string | undefined;
  references?: string | readonly string[] | undefined;
}): ThreadIds {
  const replyTo = parseMessageIds(headers.inReplyTo)[0];
  const threadId = parseMessageIds(headers.references)[0] ?? replyTo ?? parseMessageIds(headers.messageId)[0];
  return { ...(threadId ? { threadId } : {}), ...(replyTo ? { replyTo } : {}) };
}
