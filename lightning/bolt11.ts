// Decoding BOLT11 invoices with the checks this gateway needs beyond the `invoices`
// package: a payment secret present, no unknown required feature, the configured network,
// not expired at `now`, and the expected amount. `invoices` decodes the descriptive fields;
// bolt11-fields.ts reads the structure and the signature, and the two must agree.
import { encodeKept, readBolt11, TAG, wordsToBytes, wordsToNumber, type Bolt11Fields, type TaggedField } from './bolt11-fields.js';
import { LightningError } from './errors.js';
import { invoicesLib, type LibRouteHop } from './invoices-lib.js';
import { BOLT11_CURRENCY, networkOfCurrency, type BitcoinNetwork } from './network.js';

/** BOLT11 defaults when `x` or `c` is absent. */
export const DEFAULT_EXPIRY_SECONDS = 3600;
export const DEFAULT_MIN_FINAL_CLTV_DELTA = 18;

/**
 * Invoice feature bits this gateway understands (BOLT9, context "9"), by their even bit.
 * An unknown even (required) bit makes the invoice unpayable; unknown odd bits are ignored.
 */
export const KNOWN_FEATURES: Readonly<Record<number, string>> = {
  8: 'var_onion_optin',
  14: 'payment_secret',
  16: 'basic_mpp',
  48: 'option_payment_metadata',
};

export interface InvoiceFeature {
  bit: number;
  required: boolean;
  name?: string;
}

export interface Bolt11Invoice {
  /** The invoice text as given. */
  bolt11: string;
  network: BitcoinNetwork;
  /** Absent when the payer chooses the amount. */
  amountMsat?: bigint;
  paymentHash: string;
  paymentSecret: string;
  description?: string;
  descriptionHash?: string;
  /** Compressed public key of the node that signed the invoice (66 hex). */
  payee: string;
  /** Unix milliseconds. */
  createdAt: number;
  expirySeconds: number;
  /** Unix milliseconds; the invoice is expired from this instant on. */
  expiresAt: number;
  minFinalCltvDelta: number;
  features: InvoiceFeature[];
  metadata?: string;
  routes: LibRouteHop[][];
  fallbackAddresses: string[];
}

export interface DecodeOptions {
  /** The network this gateway's backend runs on. */
  network: BitcoinNetwork;
  /** Unix milliseconds. */
  now: number;
  /** When set, the invoice must ask for exactly this many satoshis. */
  expectedAmountSats?: number;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function field(fields: readonly TaggedField[], type: number): TaggedField | undefined {
  return fields.find((f) => f.type === type);
}

function readFeatures(words: readonly number[]): InvoiceFeature[] {
  const features: InvoiceFeature[] = [];
  words.forEach((w, i) => {
    for (let k = 0; k < 5; k++) {
      if (!((w >> k) & 1)) continue;
      const bit = (words.length - 1 - i) * 5 + k;
      const name = KNOWN_FEATURES[bit & ~1];
      features.push({ bit, required: bit % 2 === 0, ...(name ? { name } : {}) });
    }
  });
  return features.sort((a, b) => a.bit - b.bit);
}

function formatMsat(msat: bigint): string {
  return msat % 1000n === 0n ? `${msat / 1000n} sat` : `${msat} msat`;
}

/**
 * Everything BOLT11 requires of a reader, without this gateway's policy: well-formed,
 * signature valid, one payment hash and one payment secret, no unknown required feature.
 */
export function parseBolt11(invoice: string): Bolt11Invoice {
  const parts: Bolt11Fields = readBolt11(invoice);
  const network = networkOfCurrency(parts.currency);
  if (!network) throw new LightningError('bolt11_wrong_network', `invoice currency "${parts.currency}" is not a Bitcoin network`);
  const p = field(parts.fields, TAG.p);
  if (!p) throw new LightningError('bolt11_missing_field', 'invoice has no payment hash (p)');
  const s = field(parts.fields, TAG.s);
  if (!s) throw new LightningError('bolt11_missing_field', 'invoice has no payment secret (s)');
  const d = field(parts.fields, TAG.d);
  const h = field(parts.fields, TAG.h);
  if (!d && !h) throw new LightningError('bolt11_missing_field', 'invoice has neither a description (d) nor a description hash (h)');
  const features = readFeatures(field(parts.fields, TAG.features)?.words ?? []);
  const unknown = features.find((f) => f.required && !f.name);
  if (unknown) throw new LightningError('bolt11_unknown_feature', `invoice requires unknown feature bit ${unknown.bit}`);

  let lib;
  try {
    // `invoices` refuses p/h/s/n fields of the wrong length where BOLT11 says to skip them,
    // so it decodes the invoice without them. Its recovered payee is then meaningless and
    // unused: readBolt11 checked the signature over the words as received.
    lib = invoicesLib.parsePaymentRequest({ request: encodeKept(parts) });
  } catch (cause) {
    throw new LightningError('bolt11_malformed', `not a valid BOLT11 invoice: ${(cause as Error).message}`, { cause });
  }
  const paymentHash = hex(wordsToBytes(p.words));
  const paymentSecret = hex(wordsToBytes(s.words));
  const amountMsat = parts.amountMsat;
  if (lib.id !== paymentHash || lib.payment !== paymentSecret || lib.mtokens !== String(amountMsat ?? 0n)) {
    throw new LightningError('bolt11_malformed', 'not a valid BOLT11 invoice: its fields decode ambiguously');
  }
  const x = field(parts.fields, TAG.x);
  const c = field(parts.fields, TAG.c);
  const m = field(parts.fields, TAG.m);
  const expirySeconds = x ? wordsToNumber(x.words) : DEFAULT_EXPIRY_SECONDS;
  const minFinalCltvDelta = c ? wordsToNumber(c.words) : DEFAULT_MIN_FINAL_CLTV_DELTA;
  if (!Number.isSafeInteger(expirySeconds * 1000) || !Number.isSafeInteger(minFinalCltvDelta)) {
    throw new LightningError('bolt11_malformed', 'not a valid BOLT11 invoice: expiry or CLTV delta out of range');
  }
  const createdAt = parts.timestamp * 1000;
  return {
    bolt11: invoice,
    network,
    ...(amountMsat === undefined ? {} : { amountMsat }),
    paymentHash,
    paymentSecret,
    ...(d ? { description: lib.description ?? '' } : {}),
    ...(h ? { descriptionHash: hex(wordsToBytes(h.words)) } : {}),
    payee: hex(parts.payee),
    createdAt,
    expirySeconds,
    expiresAt: createdAt + expirySeconds * 1000,
    minFinalCltvDelta,
    features,
    ...(m ? { metadata: hex(wordsToBytes(m.words)) } : {}),
    routes: lib.routes ?? [],
    fallbackAddresses: lib.chain_addresses ?? [],
  };
}

/** parseBolt11 plus this gateway's policy: the configured network, not expired, the amount. */
export function decodeBolt11(invoice: string, options: DecodeOptions): Bolt11Invoice {
  const decoded = parseBolt11(invoice);
  if (decoded.network !== options.network) {
    throw new LightningError(
      'bolt11_wrong_network',
      `invoice is for ${decoded.network} (ln${BOLT11_CURRENCY[decoded.network]}), this gateway uses ${options.network} (ln${BOLT11_CURRENCY[options.network]})`,
    );
  }
  if (options.now >= decoded.expiresAt) {
    throw new LightningError('bolt11_expired', `invoice expired at ${new Date(decoded.expiresAt).toISOString()}`);
  }
  if (options.expectedAmountSats !== undefined) {
    const expected = BigInt(options.expectedAmountSats) * 1000n;
    if (decoded.amountMsat === undefined) {
      throw new LightningError('bolt11_amount_missing', `invoice has no amount, expected ${formatMsat(expected)}`);
    }
    if (decoded.amountMsat !== expected) {
      throw new LightningError('bolt11_amount_mismatch', `invoice asks for ${formatMsat(decoded.amountMsat)}, expected ${formatMsat(expected)}`);
    }
  }
  return decoded;
}

