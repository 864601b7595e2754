// What the native client talks to: discovery through the DNS servers of the configuration
// (`dns.servers`, LNMP_DNS_SERVERS) and relay pools whose warnings become stderr lines.
import { Resolver } from 'node:dns/promises';
import { RelayPool } from '../../relay/relay-pool.js';
import type { RelayLogger } from '../../relay/context.js';
import type { RelayClientLimits } from '../../relay/client-limits.js';
import { LnmpDirectory } from '../../services/lnmp-directory.js';

/** Writes one warning line (the CLI prefixes and prints it). */
export type Warn = (line: string) => void;

/** Relay timeouts for a command someone waits on: shorter than a gateway's. */
export const CLIENT_RELAY_LIMITS: Partial<RelayClientLimits> = { ackTimeoutMs: 15_000, queryTimeoutMs: 15_000, connectTimeoutMs: 10_000 };

/** LNMP discovery with node:dns, asking `servers` (host or host:port) when given, else the system's resolvers. */
export function openDirectory(servers: readonly string[]): LnmpDirectory {
  const resolver = new Resolver();
  if (servers.length > 0) resolver.setServers([...servers]);
  return new LnmpDirectory({ resolveTxt: (name) => resolver.resolveTxt(name) });
}

/** The relay client's warnings and errors as lines (never a key: the client logs none). */
export function warningLogger(warn: Warn): RelayLogger {
  const line = (msg: string, fields?: Readonly<Record<string, unknown>>) => {
    const relay = typeof fields?.relay === 'string' ? ` at ${fields.relay}` : '';
    const why = fields?.reason ?? fields?.err;
    warn(`${msg}${relay}${typeof why === 'string' ? `: ${why}` : ''}`);
  };
  return { debug() {}, info() {}, warn: line, error: line };
}

/** A pool on `urls` that proves `privateKey` to each (AUTH), for reading its mail. */
export function readerPool(urls: readonly string[], privateKey: Uint8Array, warn: Warn): RelayPool {
  return new RelayPool({ urls, keys: [privateKey], logger: warningLogger(warn), limits: CLIENT_RELAY_LIMITS });
}
