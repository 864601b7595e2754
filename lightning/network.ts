// The Bitcoin networks a Lightning backend can run on, and the BOLT11 currency prefix of
// each ("lnbc…", "lntb…", "lntbs…", "lnbcrt…"). An invoice for another network is refused.
export const BITCOIN_NETWORKS = ['mainnet', 'testnet', 'signet', 'regtest'] as const;
export type BitcoinNetwork = (typeof BITCOIN_NETWORKS)[number];

export const BOLT11_CURRENCY: Readonly<Record<BitcoinNetwork, string>> = {
  mainnet: 'bc',
  testnet: 'tb',
  signet: 'tbs',
  regtest: 'bcrt',
};

/** The network of a BOLT11 currency prefix, or undefined for one this gateway does not serve. */
export function networkOfCurrency(currency: string): BitcoinNetwork | undefined {
  return BITCOIN_NETWORKS.find((n) => BOLT11_CURRENCY[n] === currency);
}
