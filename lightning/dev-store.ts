// The dev backend's invoices in the database (migration 006). lightning/ sits beside
// storage/, not above it, so it names the two calls it needs; storage's `Db` has them.
import type { InvoiceState, InvoiceStatus } from './backend.js';

export interface SqlRunner {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
}

export interface SqlDb extends SqlRunner {
  /** COMMIT when `fn` resolves, ROLLBACK when it throws. */
  transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T>;
}

export interface DevInvoiceRow {
  payment_hash: string;
  payee: string;
  bolt11: string;
  amount_sats: number;
  hold: boolean;
  state: InvoiceState;
  preimage: string | null;
  cltv_delta: number;
  created_at: number;
  expires_at: number;
  held_at: number | null;
  settle_deadline: number | null;
  settled_at: number | null;
  canceled_at: number | null;
}

const COLUMNS =
  'payment_hash, payee, bolt11, amount_sats, hold, state, preimage, cltv_delta, created_at, expires_at, held_at, settle_deadline, settled_at, canceled_at';

export type NewDevInvoice = Pick<
  DevInvoiceRow,
  'payment_hash' | 'payee' | 'bolt11' | 'amount_sats' | 'hold' | 'preimage' | 'cltv_delta' | 'created_at' | 'expires_at'
>;

/** False when the payment hash is taken. */
export async function insertInvoice(db: SqlRunner, row: NewDevInvoice): Promise<boolean> {
  const rows = await db.query(
    `INSERT INTO dev_lightning_invoices (payment_hash, payee, bolt11, amount_sats, hold, state, preimage, cltv_delta, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $8, $9)
     ON CONFLICT (payment_hash) DO NOTHING RETURNING payment_hash`,
    [row.payment_hash, row.payee, row.bolt11, row.amount_sats, row.hold, row.preimage, row.cltv_delta, row.created_at, row.expires_at],
  );
  return rows.length === 1;
}

/** The row, locked for the rest of the transaction when `forUpdate`. */
export async function selectInvoice(db: SqlRunner, paymentHash: string, forUpdate = false): Promise<DevInvoiceRow | undefined> {
  const rows = await db.query<DevInvoiceRow>(
    `SELECT ${COLUMNS} FROM dev_lightning_invoices WHERE payment_hash = $1${forUpdate ? ' FOR UPDATE' : ''}`,
    [paymentHash],
  );
  return rows[0];
}

export interface Transition {
  state: InvoiceState;
  preimage?: string;
  held_at?: number;
  settle_deadline?: number;
  settled_at?: number;
  canceled_at?: number;
}

/**
 * Moves the invoice to `to.state` if it is still in state `from`; undefined when another
 * caller moved it first, so two processes never both apply a transition.
 */
export async function transition(db: SqlRunner, paymentHash: string, from: InvoiceState, to: Transition): Promise<DevInvoiceRow | undefined> {
  const rows = await db.query<DevInvoiceRow>(
    `UPDATE dev_lightning_invoices SET state = $3,
       preimage = COALESCE($4, preimage), held_at = COALESCE($5, held_at), settle_deadline = COALESCE($6, settle_deadline),
       settled_at = COALESCE($7, settled_at), canceled_at = COALESCE($8, canceled_at)
     WHERE payment_hash = $1 AND state = $2 RETURNING ${COLUMNS}`,
    [paymentHash, from, to.state, to.preimage ?? null, to.held_at ?? null, to.settle_deadline ?? null, to.settled_at ?? null, to.canceled_at ?? null],
  );
  return rows[0];
}

export function statusOf(row: DevInvoiceRow): InvoiceStatus {
  return {
    paymentHash: row.payment_hash,
    state: row.state,
    amountSats: row.amount_sats,
    hold: row.hold,
    bolt11: row.bolt11,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    ...(row.held_at !== null ? { heldAt: row.held_at } : {}),
    ...(row.state === 'held' && row.settle_deadline !== null ? { settleDeadline: row.settle_deadline } : {}),
    ...(row.settled_at !== null ? { settledAt: row.settled_at } : {}),
    ...(row.canceled_at !== null ? { canceledAt: row.canceled_at } : {}),
    ...(row.state === 'settled' && row.preimage !== null ? { preimage: row.preimage } : {}),
  };
}
