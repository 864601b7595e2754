// LND's view of an invoice (as the `lightning` package returns it) turned into ours, and the
// node's chain into our network name. No I/O: the block height and the clock come in.
import type { InvoiceState, InvoiceStatus } from './backend.js';
import type { BitcoinNetwork } from './network.js';

/** The fields of the package's invoice (getInvoice, subscribeToInvoice) read here. */
export interface LndInvoiceView {
  id: string;
  request?: string;
  tokens: number;
  created_at: string;
  expires_at: string;
  is_confirmed: boolean;
  is_held?: boolean;
  is_canceled?: boolean;
  confirmed_at?: string;
  /** The preimage; empty for a hold invoice until it is settled. */
  secret?: string;
  payments: { created_at: string; is_held: boolean; timeout: number; canceled_at?: string }[];
}

export function invoiceState(invoice: LndInvoiceView): InvoiceState {
  if (invoice.is_confirmed) return 'settled';
  if (invoice.is_canceled) return 'canceled';
  if (invoice.is_held) return 'held';
  return 'open';
}

/** Whether LND holds no preimage for the invoice: a hold invoice not yet settled. */
export function lacksPreimage(invoice: LndInvoiceView): boolean {
  return !invoice.secret || /^0+$/.test(invoice.secret);
}

export interface StatusContext {
  hold: boolean;
  /** The node's block height now; needed while held. */
  blockHeight?: number;
  now: number;
  blockIntervalMs: number;
}

/**
 * While held, `settleDeadline` is when the earliest held HTLC times out: its CLTV expiry
 * height less the node's current height, in blocks of `blockIntervalMs` from `now`. It is
 * an estimate (blocks come when they come), recomputed at every lookup.
 */
export function statusOf(invoice: LndInvoiceView, context: StatusContext): InvoiceStatus {
  const state = invoiceState(invoice);
  const heldAt = min(invoice.payments.map((p) => Date.parse(p.created_at)));
  const canceledAt = max(invoice.payments.flatMap((p) => (p.canceled_at ? [Date.parse(p.canceled_at)] : [])));
  const timeout = min(invoice.payments.filter((p) => p.is_held).map((p) => p.timeout));
  const deadline =
    state === 'held' && timeout !== undefined && context.blockHeight !== undefined
      ? context.now + (timeout - context.blockHeight) * context.blockIntervalMs
      : undefined;
  return {
    paymentHash: invoice.id,
    state,
    amountSats: invoice.tokens,
    hold: context.hold,
    bolt11: invoice.request ?? '',
    createdAt: Date.parse(invoice.created_at),
    expiresAt: Date.parse(invoice.expires_at),
    ...(heldAt !== undefined ? { heldAt } : {}),
    ...(deadline !== undefined ? { settleDeadline: deadline } : {}),
    ...(state === 'settled' && invoice.confirmed_at ? { settledAt: Date.parse(invoice.confirmed_at) } : {}),
    ...(state === 'canceled' && canceledAt !== undefined ? { canceledAt } : {}),
    ...(state === 'settled' && !lacksPreimage(invoice) ? { preimage: invoice.secret } : {}),
  };
}

function min(values: number[]): number | undefined {
  return values.length === 0 ? undefined : Math.min(...values);
}

function max(values: number[]): number | undefined {
  return values.length === 0 ? undefined : Math.max(...values);
}

/**
 * Genesis block hashes as getWalletInfo reports chains (byte-reversed hex of the block hash),
 * for the networks this gateway serves; testnet4 invoices use testnet's prefix.
 */
const CHAIN_NETWORKS: Readonly<Record<string, BitcoinNetwork>> = {
  '6fe28c0ab6f1b372c1a6a246ae63f74f931e8365e15a089c68d6190000000000': 'mainnet',
  '43497fd7f826957108f4a30fd9cec3aeba79972084e90ead01ea330900000000': 'testnet',
  '43f08bdab050e35b567c864b91f47f50ae725ae2de53bcfbbaf284da00000000': 'testnet',
  'f61eee3b63a380a477a063af32b2bbc97c9ff9f01f2c4225e973988108000000': 'signet',
  '06226e46111a0b59caaf126043eb5bbf28c34f3a5e332a1fc7b2b73cf188910f': 'regtest',
};

/** The one network of the node's chains, or undefined when it is none or several of ours. */
export function networkOfChains(chains: readonly string[]): BitcoinNetwork | undefined {
  const networks = new Set(chains.map((c) => CHAIN_NETWORKS[c]));
  const [network] = networks;
  return networks.size === 1 ? network : undefined;
}
