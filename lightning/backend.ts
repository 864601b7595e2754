// The one interface every Lightning backend implements (`dev`, embedded; `lnd`, over gRPC).
// Services see only this: postage creates hold invoices from payment hashes it generated,
// then settles (recipient kept the message) or cancels (refund) while the HTLCs are held.
// Times are Unix milliseconds; amounts are whole satoshis; hashes and preimages lowercase hex.
import type { BitcoinNetwork } from './network.js';

export type InvoiceState = 'open' | 'held' | 'settled' | 'canceled';

export interface HoldInvoiceRequest {
  /** sha256 of a preimage only the caller knows (64 hex). */
  paymentHash: string;
  amountSats: number;
  description: string;
  expirySeconds: number;
  /** min_final_cltv_expiry_delta in blocks; the backend's default when absent. */
  cltvDelta?: number;
}

export interface InvoiceRequest {
  amountSats: number;
  description: string;
  expirySeconds: number;
}

export interface CreatedInvoice {
  bolt11: string;
  paymentHash: string;
  /** When the invoice stops being payable. */
  expiresAt: number;
}

export interface InvoiceStatus {
  paymentHash: string;
  state: InvoiceState;
  amountSats: number;
  /** True for hold invoices (settled by the caller's preimage), false for normal ones. */
  hold: boolean;
  bolt11: string;
  createdAt: number;
  expiresAt: number;
  /** When a payment arrived and was held. */
  heldAt?: number;
  /** Held only: when the earliest held HTLC times out; settle or cancel before it. */
  settleDeadline?: number;
  settledAt?: number;
  canceledAt?: number;
  /** Settled only (and for normal invoices this backend created): the payment preimage. */
  preimage?: string;
}

export interface PayOptions {
  /** Routing fees above this make the payment fail rather than cost more. */
  maxFeeSats: number;
}

export interface PaymentResult {
  paymentHash: string;
  preimage: string;
  feeSats: number;
}

export interface NodeInfo {
  /** The node's compressed public key (66 hex), the payee of its invoices. */
  publicKey: string;
  alias: string;
  network: BitcoinNetwork;
  blockHeight: number;
  synced: boolean;
}

export interface BackendCapabilities {
  kind: 'dev' | 'lnd';
  network: BitcoinNetwork;
  holdInvoices: boolean;
  /** Whether pay() reaches the Lightning network (lnd) or only this backend's invoices (dev). */
  paysExternalInvoices: boolean;
}

export type InvoiceListener = (status: InvoiceStatus) => void;

export interface LightningBackend {
  capabilities(): BackendCapabilities;
  nodeInfo(): Promise<NodeInfo>;
  /** Throws invoice_exists if the hash is already used on this node. */
  createHoldInvoice(request: HoldInvoiceRequest): Promise<CreatedInvoice>;
  /** A normal invoice: the backend picks the preimage and settles on payment. */
  createInvoice(request: InvoiceRequest): Promise<CreatedInvoice>;
  /** Releases a held payment. Throws preimage_mismatch, invoice_not_found, invoice_wrong_state. */
  settle(preimage: string): Promise<InvoiceStatus>;
  /** Refunds a held payment, or withdraws an open invoice. Throws invoice_wrong_state once settled. */
  cancel(paymentHash: string): Promise<InvoiceStatus>;
  /** Throws invoice_not_found for a hash this node never issued. */
  lookup(paymentHash: string): Promise<InvoiceStatus>;
  /** Calls `listener` on every state change of the invoice; returns the unsubscribe function. */
  subscribe(paymentHash: string, listener: InvoiceListener): () => void;
  pay(bolt11: string, options: PayOptions): Promise<PaymentResult>;
  /** Stops subscriptions and releases connections. */
  close(): Promise<void>;
}
