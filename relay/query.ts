// QUERY: stored envelopes matching a filter, newest first, as MSG frames, then EOSE. Read in
// batches so a large result is never held whole; stops when the connection closes (a slow
// consumer is cut by the send buffer limit like any other).
import { frames, type QueryFrame } from './frames.js';
import { queryBatchRows } from './limits.js';
import type { RelayContext, RelayPeer } from './context.js';

export async function handleQuery(ctx: RelayContext, peer: RelayPeer, frame: QueryFrame): Promise<void> {
  peer.auth.assertMayRead(frame.filter);
  const limit = Math.min(frame.filter.limit ?? ctx.limits.maxQueryLimit, ctx.limits.maxQueryLimit);
  const rows = ctx.store.query(frame.filter, { nowSeconds: Math.floor(ctx.now() / 1000), limit, batchRows: queryBatchRows(ctx.limits) });
  const prefix = `{"type":"MSG","sub":${JSON.stringify(frame.sub)},"message":`;
  for await (const envelope of rows) {
    if (!peer.open) return;
    peer.sendText(`${prefix}${JSON.stringify(envelope)}}`);
  }
  peer.send(frames.eose(frame.sub));
}
