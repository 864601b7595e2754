// A PaySource for tests of the pay page over REAL invoices: the embedded dev Lightning
// backend on a fresh PGlite database issues hold invoices, and "paying" one goes through
// backend.pay as a wallet would. The postage service will be the real source; this one
// keeps the public id → invoice mapping (and the preimage postage would keep) in memory.
import { createHash, randomBytes } from 'node:crypto';
import type { InvoiceStatus, PaymentResult } from '../../lightning/backend.js';
import { DevLightningBackend } from '../../lightning/dev-backend.js';
import { generateNodeKey } from '../../lightning/node-key.js';
import type { PaySource, PayState, PayView } from '../../gateway/http/routes/pay.js';
import { systemRng } from '../../services/random.js';
import { openTestDb, type TestDb } from './databases.js';

export interface NewPayment {
  readonly amountSats: number;
  readonly recipient: string;
  readonly subject: string;
  /** 3600 unless given. */
  readonly expirySeconds?: number;
}

export interface DevPaySource extends PaySource {
  readonly backend: DevLightningBackend;
  /** A hold invoice behind a new public id (22 base64url characters). */
  create(payment: NewPayment): Promise<string>;
  /** The recipient keeps the message: the held payment is settled with postage's preimage. */
  settle(id: string): Promise<void>;
  /** The payment is refunded (held) or withdrawn (open). */
  cancel(id: string): Promise<void>;
  /** The dev wallet's payment started by devPay; it resolves once the payee settles. */
  payment(id: string): Promise<PaymentResult> | undefined;
  close(): Promise<void>;
}

interface Entry extends NewPayment {
  readonly id: string;
  readonly paymentHash: string;
  readonly preimage: string;
  payment?: Promise<PaymentResult>;
}

/** `withDevPay: false` leaves devPay out, as a source outside development mode does. */
export async function openDevPaySource(options: { withDevPay?: boolean } = {}): Promise<DevPaySource> {
  const t: TestDb = await openTestDb('pglite');
  const backend = new DevLightningBackend({ db: t.db, nodeKey: generateNodeKey(systemRng), random: systemRng });
  const entries = new Map<string, Entry>();

  const view = (entry: Entry, status: InvoiceStatus): PayView => ({
    id: entry.id,
    state: payState(status),
    amountSats: status.amountSats,
    recipient: entry.recipient,
    subject: entry.subject,
    bolt11: status.bolt11,
    expiresAt: status.expiresAt,
  });

  const devPay = async (id: string): Promise<void> => {
    const entry = entries.get(id);
    if (!entry) throw new Error(`no payment ${id}`);
    const { bolt11 } = await backend.lookup(entry.paymentHash);
    // The wallet's payment stays pending while the HTLC is held, as on Lightning; the page
    // only waits until it is held.
    let unsubscribe = (): void => {};
    const held = new Promise<void>((resolve) => {
      unsubscribe = backend.subscribe(entry.paymentHash, (s) => {
        if (s.state !== 'open') resolve();
      });
    });
    const paying = backend.pay(bolt11, { maxFeeSats: 0 });
    paying.catch(() => {}); // awaited below or by the test; never an unhandled rejection
    entry.payment = paying;
    try {
      await Promise.race([held, paying]);
    } finally {
      unsubscribe();
    }
  };

  return {
    backend,
    async create(payment) {
      const id = randomBytes(16).toString('base64url');
      const preimage = randomBytes(32).toString('hex');
      const paymentHash = createHash('sha256').update(Buffer.from(preimage, 'hex')).digest('hex');
      await backend.createHoldInvoice({
        paymentHash,
        amountSats: payment.amountSats,
        description: `Postage for a message to ${payment.recipient}`,
        expirySeconds: payment.expirySeconds ?? 3600,
      });
      entries.set(id, { ...payment, id, paymentHash, preimage });
      return id;
    },
    async view(id) {
      const entry = entries.get(id);
      return entry && view(entry, await backend.lookup(entry.paymentHash));
    },
    watch(id, onChange) {
      const entry = entries.get(id);
      if (!entry) return () => {};
      return backend.subscribe(entry.paymentHash, (status) => onChange(view(entry, status)));
    },
    ...(options.withDevPay === false ? {} : { devPay }),
    async settle(id) {
      const entry = entries.get(id);
      if (!entry) throw new Error(`no payment ${id}`);
      await backend.settle(entry.preimage);
    },
    async cancel(id) {
      const entry = entries.get(id);
      if (!entry) throw new Error(`no payment ${id}`);
      await backend.cancel(entry.paymentHash);
    },
    payment: (id) => entries.get(id)?.payment,
    async close() {
      await backend.close();
      await t.dispose();
    },
  };
}

/** The dev backend cancels an unpaid invoice at its expiry; the page calls that "expired". */
function payState(status: InvoiceStatus): PayState {
  if (status.state !== 'canceled') return status.state;
  const expired = status.heldAt === undefined && status.canceledAt !== undefined && status.canceledAt >= status.expiresAt;
  return expired ? 'expired' : 'canceled';
}
