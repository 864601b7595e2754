// LNMP discovery: from an address `name#chk@domain` to the key and relays that reach it.
// The domain publishes `_lnmp.<domain> TXT "v=LNMP1; k=<gateway key>; u=<document URL>"`;
// the URL serves the gateway's signed identity document (its relays), and
// `<URL>/users/<domain>/<name>` the user's own, signed by the user's key. Both are verified
// (core verifyIdentityDocument: signature, every address's checksum); the gateway's must be
// signed by the key the DNS record names, and the user's must list the address asked for.
// The user's relays are its own when it lists any, else its gateway's.
// Documents are fetched over HTTPS; plain HTTP only from a loopback address (tests, a local
// development gateway). Answers are cached for a few minutes, failures briefly.
import { isIP } from 'node:net';
import { isLnmpAddress, isLnmpError, normalizeHost, normalizeUsername, parseAddress, verifyIdentityDocument, type IdentityDocument } from '../core/index.js';
import { ServiceError } from './errors.js';

export interface ResolvedIdentity {
  /** The address as asked for, lowercased. */
  readonly address: string;
  readonly publicKey: string;
  /** Relay URLs to publish to (ws: or wss:). */
  readonly relays: readonly string[];
  readonly document: IdentityDocument;
}

export interface DirectoryDeps {
  /** DNS TXT lookup: the records' strings, as node:dns resolveTxt gives them. */
  readonly resolveTxt: (name: string) => Promise<string[][]>;
  /** GET a JSON document; undefined for 404. Defaults to fetch with a timeout and a size cap. */
  readonly fetchJson?: (url: string) => Promise<unknown>;
  readonly now?: () => number;
}

export const DirectoryLimits = {
  cacheMs: 5 * 60_000,
  failureCacheMs: 30_000,
  fetchTimeoutMs: 10_000,
  maxDocumentBytes: 64 * 1024,
  maxCacheEntries: 10_000,
} as const;

/** The path under a gateway's document URL where its users' documents are. */
export function userDocumentPath(domain: string, username: string): string {
  return `/users/${encodeURIComponent(domain)}/${encodeURIComponent(username)}`;
}

/** Parses `v=LNMP1; k=<hex>; u=<url>`; undefined when the string is not such a record. */
export function parseLnmpTxt(txt: string): { key: string; url: string } | undefined {
  const fields = new Map<string, string>();
  for (const part of txt.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  const key = fields.get('k')?.toLowerCase();
  const url = fields.get('u');
  if (fields.get('v') !== 'LNMP1' || !key || !/^[0-9a-f]{64}$/.test(key) || !url) return undefined;
  return { key, url };
}

/** The parts discovery needs of `name#chk@domain` or of a plain `name@domain`. */
function splitLookupAddress(address: string): { username: string; domain: string; checksum: string | undefined } {
  try {
    if (isLnmpAddress(address)) {
      const parsed = parseAddress(address);
      if (parsed.host !== undefined) return { username: parsed.username, domain: parsed.host, checksum: parsed.checksum };
    } else {
      const at = address.lastIndexOf('@');
      if (at > 0) return { username: normalizeUsername(address.slice(0, at)), domain: normalizeHost(address.slice(at + 1)), checksum: undefined };
    }
  } catch (cause) {
    throw new ServiceError('invalid_address', `"${address}" is not an address LNMP can look up`, { cause });
  }
  throw new ServiceError('invalid_address', `"${address}" has no domain`);
}

/** https, or http to a loopback address. */
function allowedUrl(url: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol === 'https:') return true;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return u.protocol === 'http:' && isIP(host) !== 0 && (host === '::1' || host.startsWith('127.'));
}

async function defaultFetchJson(url: string): Promise<unknown> {
  const res = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(DirectoryLimits.fetchTimeoutMs), headers: { accept: 'application/json' } });
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const text = await res.text();
  if (Buffer.byteLength(text) > DirectoryLimits.maxDocumentBytes) throw new Error(`document over ${DirectoryLimits.maxDocumentBytes} bytes`);
  return JSON.parse(text) as unknown;
}

type Entry = { at: number; value: ResolvedIdentity } | { at: number; error: ServiceError };

export class LnmpDirectory {
  readonly #deps: Required<DirectoryDeps>;
  readonly #cache = new Map<string, Entry>();

  constructor(deps: DirectoryDeps) {
    this.#deps = { fetchJson: defaultFetchJson, now: Date.now, ...deps };
  }

  /**
   * The identity behind an LNMP address. Throws ServiceError `user_not_found` when the domain
   * or gateway says there is no such identity (or its documents do not verify), and
   * `lnmp_unreachable` when discovery could not be completed (DNS or HTTP failing: try later).
   */
  async resolve(address: string): Promise<ResolvedIdentity> {
    const key = address.trim().toLowerCase();
    const cached = this.#cache.get(key);
    const now = this.#deps.now();
    if (cached && now - cached.at < ('value' in cached ? DirectoryLimits.cacheMs : DirectoryLimits.failureCacheMs)) {
      if ('value' in cached) return cached.value;
      throw cached.error;
    }
    let entry: Entry;
    try {
      entry = { at: now, value: await this.#lookup(key) };
    } catch (err) {
      if (!(err instanceof ServiceError)) throw err;
      entry = { at: now, error: err };
    }
    if (this.#cache.size >= DirectoryLimits.maxCacheEntries) this.#cache.delete(this.#cache.keys().next().value as string);
    this.#cache.set(key, entry);
    if ('error' in entry) throw entry.error;
    return entry.value;
  }

  async #lookup(address: string): Promise<ResolvedIdentity> {
    const { username, domain, checksum } = splitLookupAddress(address);
    const record = await this.#record(domain);
    const gateway = await this.#document(record.url, `the LNMP document of ${domain}`);
    if (!gateway) throw new ServiceError('user_not_found', `${domain} publishes no LNMP document at ${record.url}`);
    if (gateway.publicKey !== record.key) throw new ServiceError('user_not_found', `the LNMP document of ${domain} is not signed by the key its DNS record names`);
    const user = await this.#document(`${record.url.replace(/\/+$/, '')}${userDocumentPath(domain, username)}`, `the LNMP document of ${address}`);
    if (!user) throw new ServiceError('user_not_found', `no LNMP identity ${address}`);
    // An LNMP address must be listed as asked (its checksum is bound to the key); a plain
    // address is the domain's word that this identity is its user `username`.
    const listed = user.addresses.some((a) => {
      const p = parseAddress(a);
      return p.username === username && p.host === domain && (checksum === undefined || p.checksum.toLowerCase() === checksum.toLowerCase());
    });
    if (!listed) throw new ServiceError('user_not_found', `no LNMP identity ${address} (the document of ${domain} does not list it)`);
    const relays = (user.relays.length > 0 ? user.relays : gateway.relays).map((r) => r.url);
    if (relays.length === 0) throw new ServiceError('user_not_found', `${address} names no relay`);
    return { address, publicKey: user.publicKey, relays, document: user };
  }

  async #record(domain: string): Promise<{ key: string; url: string }> {
    let answers: string[][];
    try {
      answers = await this.#deps.resolveTxt(`_lnmp.${domain}`);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ENOTFOUND' || code === 'ENODATA') throw new ServiceError('user_not_found', `${domain} publishes no _lnmp record`);
      throw new ServiceError('lnmp_unreachable', `DNS lookup of _lnmp.${domain} failed${code ? ` (${code})` : ''}`, { cause: err });
    }
    const records = answers.map((parts) => parseLnmpTxt(parts.join(''))).filter((r) => r !== undefined);
    const record = records[0];
    if (!record) throw new ServiceError('user_not_found', `${domain} publishes no _lnmp record`);
    if (!allowedUrl(record.url)) throw new ServiceError('user_not_found', `the _lnmp record of ${domain} names ${record.url}, not an https URL`);
    return record;
  }

  async #document(url: string, what: string): Promise<IdentityDocument | undefined> {
    let body: unknown;
    try {
      body = await this.#deps.fetchJson(url);
    } catch (err) {
      throw new ServiceError('lnmp_unreachable', `${what} could not be fetched: ${(err as Error).message}`, { cause: err });
    }
    if (body === undefined) return undefined;
    try {
      return verifyIdentityDocument(body);
    } catch (err) {
      if (isLnmpError(err)) throw new ServiceError('user_not_found', `${what} does not verify: ${err.message}`, { cause: err });
      throw err;
    }
  }
}
