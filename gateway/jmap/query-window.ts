// The window of a /query answer (RFC 8620 §5.5): position or anchor with anchorOffset,
// limit capped at MAX_QUERY_LIMIT (the cap reported back), the total on request. Shared by
// every /query method.
import { MethodError } from './errors.js';
import { MAX_QUERY_LIMIT } from './limits.js';

export interface WindowArgs {
  readonly position?: number | null | undefined;
  readonly anchor?: string | null | undefined;
  readonly anchorOffset?: number | null | undefined;
  readonly limit?: number | null | undefined;
  readonly calculateTotal?: boolean | null | undefined;
}

export function queryWindow(ids: readonly string[], args: WindowArgs): { position: number; ids: string[]; total?: number; limit?: number } {
  const total = ids.length;
  let start: number;
  if (args.anchor !== undefined && args.anchor !== null) {
    const at = ids.indexOf(args.anchor);
    if (at === -1) throw new MethodError('anchorNotFound');
    start = Math.max(0, at + (args.anchorOffset ?? 0));
  } else {
    const position = args.position ?? 0;
    start = position < 0 ? Math.max(0, total + position) : position;
  }
  const { limit, capped } = servedLimit(args);
  return {
    position: Math.min(start, total),
    ids: ids.slice(start, start + limit),
    ...(args.calculateTotal ? { total } : {}),
    ...(capped ? { limit } : {}),
  };
}

/** The limit served: the asked one at most MAX_QUERY_LIMIT, and whether it was lowered (the answer then says so). */
export function servedLimit(args: WindowArgs): { limit: number; capped: boolean } {
  const requested = args.limit ?? MAX_QUERY_LIMIT;
  return { limit: Math.min(requested, MAX_QUERY_LIMIT), capped: requested > MAX_QUERY_LIMIT };
}
