// Group commit for the relay's store: PUBLISHes that arrive while an INSERT is running are
// gathered into the next one, a single statement and commit for up to MAX_INSERT_BATCH
// envelopes (PostgreSQL's cost per statement and commit was half the relay's CPU per PUBLISH).
// A lone PUBLISH waits for nothing. Each caller learns whether its own envelope was new.
import type { VerifiedMessage } from '../core/envelope.js';
import type { Queryable } from '../storage/db.js';

/** Most envelopes one INSERT stores. */
export const MAX_INSERT_BATCH = 64;

interface Pending {
  readonly id: string;
  /** `{"r":receivedAtMs,"e":envelope}` */
  readonly json: string;
  readonly resolve: (inserted: boolean) => void;
  readonly reject: (err: unknown) => void;
}

// One jsonb parameter carries the whole batch; the header columns are read from each envelope.
const INSERT_SQL = `INSERT INTO relay_messages (id, sender, recipients, kind, "timestamp", expiry, received_at, envelope)
  SELECT x->'e'->>'id', x->'e'->>'from', ARRAY(SELECT jsonb_array_elements_text(x->'e'->'to')), (x->'e'->>'kind')::int4,
         (x->'e'->>'timestamp')::int8, (x->'e'->>'expiry')::int8, to_timestamp((x->>'r')::float8 / 1000), x->'e'
    FROM jsonb_array_elements($1::jsonb) AS t(x)
  ON CONFLICT (id) DO NOTHING RETURNING id`;

export class InsertBatcher {
  readonly #queue: Pending[] = [];
  #running = false;

  constructor(private readonly db: Queryable) {}

  /**
   * Stores the envelope; false when one with its id is already stored (or queued in the same
   * batch). `json` is the envelope serialised, when the caller has it already.
   */
  insert(message: VerifiedMessage, receivedAtMs: number, json = JSON.stringify(message)): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ id: message.id, json: `{"r":${receivedAtMs},"e":${json}}`, resolve, reject });
      if (!this.#running) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#running = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, MAX_INSERT_BATCH);
        // The first of equal ids goes in; the others are duplicates whatever the database says.
        const first = new Map<string, Pending>();
        for (const p of batch) if (!first.has(p.id)) first.set(p.id, p);
        // Rows in id order: two processes inserting overlapping batches cannot deadlock.
        const rows = [...first.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
        try {
          const inserted = new Set((await this.db.query<{ id: string }>(INSERT_SQL, [`[${rows.map((p) => p.json).join(',')}]`])).map((r) => r.id));
          for (const p of batch) p.resolve(first.get(p.id) === p && inserted.has(p.id));
        } catch (err) {
          for (const p of batch) p.reject(err);
        }
      }
    } finally {
      this.#running = false;
    }
  }
}
