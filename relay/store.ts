// The relay's envelope store (migration 005): insert with dedupe by id, filtered reads newest
// first in batches, and the retention prune. Envelopes are stored as they arrived (sealed);
// the relay never holds a key to open them.
import type { VerifiedMessage } from '../core/envelope.js';
import type { Db } from '../storage/db.js';
import type { Filter } from './frames.js';
import { InsertBatcher } from './insert-batcher.js';

export interface QueryOptions {
  /** Envelopes whose expiry is at or before this are not returned. */
  nowSeconds: number;
  /** Most rows returned in all. */
  limit: number;
  /** Rows per round trip. */
  batchRows: number;
}

interface Row {
  seq: number;
  timestamp: number;
  envelope: Record<string, unknown>;
}

export class RelayStore {
  private readonly inserts: InsertBatcher;

  constructor(private readonly db: Db) {
    this.inserts = new InsertBatcher(db);
  }

  /**
   * Stores the envelope; false when one with its id is already stored. Concurrent inserts share
   * one statement. `json` is JSON.stringify(message), when the caller has it already.
   */
  insert(message: VerifiedMessage, receivedAtMs: number, json?: string): Promise<boolean> {
    return this.inserts.insert(message, receivedAtMs, json);
  }

  /**
   * The stored envelopes of these ids as JSON text (not parsed: each is sent on as it is), by id;
   * ids no longer stored are absent. One statement whatever the number of ids.
   */
  async envelopesJson(ids: readonly string[]): Promise<Map<string, string>> {
    const rows = await this.db.query<{ id: string; json: string }>('SELECT id, envelope::text AS json FROM relay_messages WHERE id = ANY($1::text[])', [ids]);
    return new Map(rows.map((r) => [r.id, r.json]));
  }

  /** The envelopes matching the filter, newest first (timestamp, then arrival), read in batches. */
  async *query(filter: Filter, opts: QueryOptions): AsyncGenerator<Record<string, unknown>> {
    const where: string[] = ['(expiry IS NULL OR expiry > $1)'];
    const params: unknown[] = [opts.nowSeconds];
    const add = (sql: (n: string) => string, value: unknown) => {
      params.push(value);
      where.push(sql(`$${params.length}`));
    };
    if (filter.ids) add((p) => `id = ANY(${p}::text[])`, filter.ids);
    if (filter.to) add((p) => `recipients && ${p}::text[]`, filter.to);
    if (filter.from) add((p) => `sender = ANY(${p}::text[])`, filter.from);
    if (filter.kinds) add((p) => `kind = ANY(${p}::int4[])`, filter.kinds);
    if (filter.since !== undefined) add((p) => `"timestamp" >= ${p}`, filter.since);
    if (filter.until !== undefined) add((p) => `"timestamp" <= ${p}`, filter.until);
    let remaining = opts.limit;
    let cursor: { timestamp: number; seq: number } | undefined;
    while (remaining > 0) {
      const batch = Math.min(remaining, opts.batchRows);
      const p = [...params];
      const clauses = [...where];
      if (cursor) {
        p.push(cursor.timestamp, cursor.seq);
        clauses.push(`("timestamp", seq) < ($${p.length - 1}::int8, $${p.length}::int8)`);
      }
      p.push(batch);
      const rows = await this.db.query<Row>(
        `SELECT seq, "timestamp", envelope FROM relay_messages WHERE ${clauses.join(' AND ')}
         ORDER BY "timestamp" DESC, seq DESC LIMIT $${p.length}`,
        p,
      );
      for (const row of rows) yield row.envelope;
      remaining -= rows.length;
      const last = rows.at(-1);
      if (!last || rows.length < batch) return;
      cursor = { timestamp: last.timestamp, seq: last.seq };
    }
  }

  /** Deletes envelopes received more than `retentionSeconds` ago and those past their expiry; returns how many. */
  async prune(opts: { nowMs: number; retentionSeconds: number }): Promise<number> {
    const rows = await this.db.query<{ n: number }>(
      `WITH gone AS (DELETE FROM relay_messages
         WHERE received_at < to_timestamp($1::float8 / 1000) OR expiry <= $2 RETURNING 1)
       SELECT count(*)::int8 AS n FROM gone`,
      [opts.nowMs - opts.retentionSeconds * 1000, Math.floor(opts.nowMs / 1000)],
    );
    return rows[0]?.n ?? 0;
  }
}
