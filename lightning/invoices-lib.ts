// The `invoices` package (BOLT11 encode, sign, decode), loaded from CommonJS and typed for
// the part this gateway uses. Only lightning/ imports it, through this module.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export interface LibRouteHop {
  base_fee_mtokens?: string;
  channel?: string;
  cltv_delta?: number;
  fee_rate?: number;
  public_key: string;
}

export interface LibParsedRequest {
  chain_addresses?: string[];
  cltv_delta: number;
  created_at: string;
  description?: string;
  description_hash?: string;
  destination: string;
  expires_at: string;
  features: { bit: number; is_required: boolean; type: string | null }[];
  id: string;
  metadata?: string;
  mtokens: string;
  network: string;
  payment?: string;
  routes?: LibRouteHop[][];
}

export interface LibUnsignedRequestArgs {
  cltv_delta?: number;
  created_at: string;
  description: string;
  destination: string;
  expires_at: string;
  features: { bit: number }[];
  id: string;
  mtokens: string;
  network: string;
  payment: string;
}

export interface LibUnsignedRequest {
  /** sha256 of hrp || data, the message the node key signs (hex). */
  hash: string;
  hrp: string;
  tags: number[];
}

interface InvoicesModule {
  parsePaymentRequest(args: { request: string }): LibParsedRequest;
  createUnsignedRequest(args: LibUnsignedRequestArgs): LibUnsignedRequest;
  createSignedRequest(args: { destination: string; hrp: string; signature: string; tags: number[] }): { request: string };
}

export const invoicesLib = require('invoices') as InvoicesModule;

/** The package's network names for ours. */
export const LIB_NETWORK = { mainnet: 'bitcoin', testnet: 'testnet', signet: 'signet', regtest: 'regtest' } as const;
