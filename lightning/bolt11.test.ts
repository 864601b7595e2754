import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeBolt11, parseBolt11 } from './bolt11.js';
import { MAX_BOLT11_LENGTH } from './bolt11-fields.js';
import { LightningError } from './errors.js';
import { invoicesLib } from './invoices-lib.js';
import type { BitcoinNetwork } from './network.js';

interface ValidVector {
  case: string;
  invoice: string;
  network: BitcoinNetwork;
  now: number;
  expect: {
    amountMsat: string | null;
    paymentHash: string;
    paymentSecret: string;
    payee: string;
    expirySeconds: number;
    description?: string;
    descriptionHash?: string;
  };
}

interface InvalidVector {
  case: string;
  invoice: string;
  code: string;
  message: string;
}

const load = <T>(name: string): T => JSON.parse(readFileSync(new URL(`./vectors/${name}`, import.meta.url), 'utf8')) as T;
const VALID = load<ValidVector[]>('bolt11-valid.json');
const INVALID = load<InvalidVector[]>('bolt11-invalid.json');

function failure(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(LightningError);
    return { code: (err as LightningError).code, message: (err as Error).message };
  }
  throw new Error('expected a LightningError');
}

describe('BOLT11 spec examples', () => {
  it('has the 14 valid and 8 invalid examples', () => {
    expect(VALID).toHaveLength(14);
    expect(INVALID).toHaveLength(8);
  });

  // The examples are dated 2017 and 2019 and mostly mainnet: each is decoded on its own
  // network at its own creation time. That every one is refused once expired is tested below.
  it.each(VALID.map((v, i) => [i + 1, v.case, v] as const))('valid %i: %s', (_i, _case, v) => {
    const inv = decodeBolt11(v.invoice, { network: v.network, now: v.now });
    expect(inv.network).toBe(v.network);
    expect(inv.amountMsat === undefined ? null : String(inv.amountMsat)).toBe(v.expect.amountMsat);
    expect(inv.paymentHash).toBe(v.expect.paymentHash);
    expect(inv.paymentSecret).toBe(v.expect.paymentSecret);
    expect(inv.payee).toBe(v.expect.payee);
    expect(inv.expirySeconds).toBe(v.expect.expirySeconds);
    expect(inv.createdAt).toBe(v.now);
    expect(inv.description).toBe(v.expect.description);
    expect(inv.descriptionHash).toBe(v.expect.descriptionHash);
  });

  it.each(INVALID.map((v, i) => [i + 1, v.case, v] as const))('invalid %i: %s', (_i, _case, v) => {
    expect(failure(() => parseBolt11(v.invoice))).toEqual({ code: v.code, message: v.message });
  });

  it('every valid example is expired today and refused on another network', () => {
    for (const v of VALID) {
      expect(failure(() => decodeBolt11(v.invoice, { network: v.network, now: Date.UTC(2026, 0, 1) })).code).toBe('bolt11_expired');
      expect(failure(() => decodeBolt11(v.invoice, { network: 'regtest', now: v.now })).code).toBe('bolt11_wrong_network');
    }
  });

  it('`invoices` alone gets two examples wrong, which is why the fields are read here too', () => {
    // The fields BOLT11 says to skip make the package throw.
    expect(() => invoicesLib.parsePaymentRequest({ request: VALID[11]!.invoice })).toThrow('UnexpectedByteLengthForPaymentHash');
    // High-S: the package recovers another key than the one that signed the others.
    expect(invoicesLib.parsePaymentRequest({ request: VALID[13]!.invoice }).destination).not.toBe(VALID[13]!.expect.payee);
    // And it accepts what a reader must refuse: an unknown required feature, no `s`.
    expect(() => invoicesLib.parsePaymentRequest({ request: INVALID[0]!.invoice })).not.toThrow();
    expect(() => invoicesLib.parsePaymentRequest({ request: INVALID[6]!.invoice })).not.toThrow();
  });
});

describe('decodeBolt11 policy', () => {
  const coffee = VALID[1]!; // 2500u = 250,000 sat, expiry 60 s
  const donation = VALID[0]!; // no amount
  const opts = { network: 'mainnet' as const, now: coffee.now };

  it('reports the wrong network with both prefixes', () => {
    expect(failure(() => decodeBolt11(coffee.invoice, { ...opts, network: 'regtest' }))).toEqual({
      code: 'bolt11_wrong_network',
      message: 'invoice is for mainnet (lnbc), this gateway uses regtest (lnbcrt)',
    });
    expect(failure(() => decodeBolt11(VALID[4]!.invoice, opts)).message).toBe(
      'invoice is for testnet (lntb), this gateway uses mainnet (lnbc)',
    );
  });

  it('is valid until the last millisecond before creation + expiry', () => {
    expect(decodeBolt11(coffee.invoice, { ...opts, now: coffee.now + 59_999 }).expiresAt).toBe(coffee.now + 60_000);
    expect(failure(() => decodeBolt11(coffee.invoice, { ...opts, now: coffee.now + 60_000 }))).toEqual({
      code: 'bolt11_expired',
      message: 'invoice expired at 2017-06-01T10:58:38.000Z',
    });
  });

  it('checks the amount when one is expected', () => {
    expect(decodeBolt11(coffee.invoice, { ...opts, expectedAmountSats: 250_000 }).amountMsat).toBe(250_000_000n);
    expect(failure(() => decodeBolt11(coffee.invoice, { ...opts, expectedAmountSats: 100 }))).toEqual({
      code: 'bolt11_amount_mismatch',
      message: 'invoice asks for 250000 sat, expected 100 sat',
    });
    expect(failure(() => decodeBolt11(donation.invoice, { ...opts, expectedAmountSats: 100 }))).toEqual({
      code: 'bolt11_amount_missing',
      message: 'invoice has no amount, expected 100 sat',
    });
    expect(failure(() => decodeBolt11(VALID[9]!.invoice, { network: 'mainnet', now: VALID[9]!.now, expectedAmountSats: 967_878 })).message).toBe(
      'invoice asks for 967878534 msat, expected 967878 sat',
    );
  });

  it('reads features, metadata and routes', () => {
    const beans = parseBolt11(VALID[10]!.invoice);
    expect(beans.features).toEqual([
      { bit: 8, required: true, name: 'var_onion_optin' },
      { bit: 14, required: true, name: 'payment_secret' },
      { bit: 99, required: false },
    ]);
    expect(parseBolt11(VALID[12]!.invoice).metadata).toBe('01fafaf0');
    expect(parseBolt11(VALID[5]!.invoice).routes[0]?.[0]?.public_key).toBe('029e03a901b85534ff1e92c43c74431f7ce72046060fcf7a95c37e148f78c77255');
    expect(parseBolt11(VALID[4]!.invoice).fallbackAddresses).toEqual(['mk2QpYatsKicvFVuTAQLBryyccRXMUaGHP']);
  });

  it('refuses what is not an invoice', () => {
    expect(failure(() => parseBolt11('hello'))).toEqual({ code: 'bolt11_malformed', message: 'not a valid BOLT11 invoice: does not start with "ln"' });
    expect(failure(() => parseBolt11(`lnbc1${'q'.repeat(MAX_BOLT11_LENGTH)}`)).message).toBe(
      `not a valid BOLT11 invoice: longer than ${MAX_BOLT11_LENGTH} characters`,
    );
    // Upper case is valid bech32 (QR codes use it); mixed case is not.
    expect(parseBolt11(coffee.invoice.toUpperCase()).paymentHash).toBe(coffee.expect.paymentHash);
    expect(failure(() => parseBolt11(`LNBC${coffee.invoice.slice(4)}`)).code).toBe('bolt11_malformed');
    expect(() => parseBolt11(42 as unknown as string)).toThrow(TypeError);
  });
});
