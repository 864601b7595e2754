// FETCH responses of metadata only (UID, FLAGS, MODSEQ, RFC822.SIZE) written as text: a
// flag sync of a large mailbox (`UID FETCH 1:* (UID FLAGS)`) spent most of its time in the
// engine's generic response tree and compiler. The line is the one the engine would write
// (checked against it in fetch-lines.test.ts); anything else goes through the engine.
import type { MessageMeta } from '../../services/message-service.js';
import type { EngineSelected, FetchQueryItem } from './engine.js';

/** Item names written here, as the client spelled them (atoms, no section or partial). */
const NAME = /^[A-Za-z0-9.]+$/;
const PLAIN_ITEMS = new Set(['uid', 'flags', 'modseq', 'rfc822.size']);
/** Flags that are atoms as they stand (the engine quotes anything else). */
const PLAIN_FLAG = /^\\?[A-Za-z0-9$_.-]+$/;

/** The item names of a query made only of plain metadata items, else undefined. */
export function plainItemNames(query: readonly FetchQueryItem[]): string[] | undefined {
  const names: string[] = [];
  for (const q of query) {
    const original = q.original as { type?: unknown; value?: unknown; section?: unknown; partial?: unknown } | null;
    if (!PLAIN_ITEMS.has(q.item) || !original || typeof original !== 'object') return undefined;
    if (typeof original.type !== 'string' || original.type.toUpperCase() !== 'ATOM' || original.section || original.partial) return undefined;
    if (typeof original.value !== 'string' || !NAME.test(original.value)) return undefined;
    names.push(original.value);
  }
  return names;
}

/**
 * `* <seq> FETCH (...)` for `meta`, without CRLF: null when the UID is not in the session's list
 * (expunged and already reported: the engine skips it too), undefined when a flag would need
 * quoting (the caller lets the engine write that one).
 */
export function plainFetchLine(selected: Pick<EngineSelected, 'uidList'>, query: readonly FetchQueryItem[], names: readonly string[], meta: MessageMeta): string | null | undefined {
  const index = selected.uidList.indexOf(meta.uid);
  if (index < 0) return null;
  const parts: string[] = [];
  for (let i = 0; i < query.length; i++) {
    switch (query[i]!.item) {
      case 'uid':
        parts.push(`${names[i]} ${meta.uid}`);
        break;
      case 'flags':
        if (!meta.flags.every((f) => PLAIN_FLAG.test(f))) return undefined;
        parts.push(`${names[i]} (${meta.flags.join(' ')})`);
        break;
      case 'modseq':
        parts.push(`${names[i]} (${meta.modseq})`);
        break;
      default:
        parts.push(`${names[i]} ${meta.size}`);
    }
  }
  return `* ${index + 1} FETCH (${parts.join(' ')})`;
}
