// LND's invoice and chain as ours: the state mapping, the settle deadline from block
// heights, and the network from getWalletInfo's chain ids.
import { describe, expect, it } from 'vitest';
import { networkOfChains, statusOf, type LndInvoiceView } from './lnd-invoice.js';

const MAINNET = '6fe28c0ab6f1b372c1a6a246ae63f74f931e8365e15a089c68d6190000000000';
const TESTNET4 = '43f08bdab050e35b567c864b91f47f50ae725ae2de53bcfbbaf284da00000000';
const LITECOIN = 'e2bf047e7e5a191aa4ef34d314979dc9986e0f19251edaba5940fd1fe365a712';

const base: LndInvoiceView = {
  id: 'ab'.repeat(32),
  request: 'lnbcrt1...',
  tokens: 100,
  created_at: '2026-01-01T00:00:00.000Z',
  expires_at: '2026-01-01T01:00:00.000Z',
  is_confirmed: false,
  secret: '',
  payments: [],
};
const T = Date.parse('2026-01-01T00:10:00.000Z');

describe('lnd-invoice', () => {
  it('maps the network of the node’s chain, refusing none, foreign or several', () => {
    expect(networkOfChains([MAINNET])).toBe('mainnet');
    expect(networkOfChains([TESTNET4])).toBe('testnet');
    expect(networkOfChains([])).toBeUndefined();
    expect(networkOfChains([LITECOIN])).toBeUndefined();
    expect(networkOfChains([MAINNET, LITECOIN])).toBeUndefined();
  });

  it('gives a held invoice the deadline of its earliest held HTLC, in blocks from now', () => {
    const held: LndInvoiceView = {
      ...base,
      is_held: true,
      payments: [
        { created_at: '2026-01-01T00:05:00.000Z', is_held: true, timeout: 900 },
        { created_at: '2026-01-01T00:06:00.000Z', is_held: true, timeout: 880 },
      ],
    };
    expect(statusOf(held, { hold: true, blockHeight: 850, now: T, blockIntervalMs: 600_000 })).toEqual({
      paymentHash: base.id,
      state: 'held',
      amountSats: 100,
      hold: true,
      bolt11: 'lnbcrt1...',
      createdAt: Date.parse(base.created_at),
      expiresAt: Date.parse(base.expires_at),
      heldAt: Date.parse('2026-01-01T00:05:00.000Z'),
      settleDeadline: T + 30 * 600_000,
    });
  });

  it('reports the preimage and settle time only once settled, the cancel time from the HTLCs', () => {
    const settled = statusOf({ ...base, is_confirmed: true, confirmed_at: '2026-01-01T00:07:00.000Z', secret: 'cd'.repeat(32) }, { hold: false, now: T, blockIntervalMs: 1 });
    expect(settled).toMatchObject({ state: 'settled', settledAt: Date.parse('2026-01-01T00:07:00.000Z'), preimage: 'cd'.repeat(32) });
    const open = statusOf({ ...base, secret: 'cd'.repeat(32) }, { hold: false, now: T, blockIntervalMs: 1 });
    expect(open.preimage).toBeUndefined();
    const canceled = statusOf(
      { ...base, is_canceled: true, payments: [{ created_at: '2026-01-01T00:05:00.000Z', is_held: false, timeout: 880, canceled_at: '2026-01-01T00:08:00.000Z' }] },
      { hold: true, now: T, blockIntervalMs: 1 },
    );
    expect(canceled).toMatchObject({ state: 'canceled', canceledAt: Date.parse('2026-01-01T00:08:00.000Z') });
    expect(canceled.settleDeadline).toBeUndefined();
  });
});
