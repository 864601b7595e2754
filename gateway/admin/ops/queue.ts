// queue.list {}: the outbound rows still queued → [QueueEntry]; queue.retry {ids}: makes them
// due now → the ids that were queued.
import * as z from 'zod';
import { defineOp } from './op.js';

export const queueList = defineOp('queue.list', z.strictObject({}), (api) => api.queueList());

export const queueRetry = defineOp(
  'queue.retry',
  z.strictObject({ ids: z.array(z.int().positive()).min(1).max(1000) }),
  (api, args) => api.queueRetry(args.ids),
);
