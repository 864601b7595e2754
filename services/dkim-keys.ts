// The DKIM keys the gateway signs outgoing mail with: one per (domain, selector), created on
// first use and shared by every gateway process holding the same gateway secret. The private
// key is stored only wrapped by a key derived from that secret, bound to its domain and selector.
import type { Rng } from '../core/index.js';
import type { Db } from '../storage/db.js';
import { ServiceError } from './errors.js';
import { gatewaySubkey } from './gateway-keys.js';
import { boxOpen, boxSeal } from './secret-box.js';

/** A new key pair: what the gateway's DKIM module produces (services/ cannot import it). */
export type DkimKeyGenerator = () => Promise<{ readonly privateKeyPem: string; readonly publicKeyDnsTxt: string }>;

export interface DkimKeyPair {
  readonly domain: string;
  readonly selector: string;
  readonly privateKeyPem: string;
  /** The TXT record value for `<selector>._domainkey.<domain>`. */
  readonly publicTxt: string;
}

export interface DkimPublicRecord {
  readonly domain: string;
  readonly selector: string;
  readonly publicTxt: string;
  readonly createdAt: Date;
}

const context = (domain: string, selector: string) => `dkim:${domain}:${selector}`;

/** Labels of letters, digits, hyphens and underscores (IDNs in their ASCII form). */
const DNS_NAME = /^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*$/;

/**
 * DNS names compare case-insensitively: the table keeps them in lower case without a root dot,
 * so `Example.org.` and `example.org` share one key.
 * @throws TypeError for anything else (it would also make the wrapping context ambiguous).
 */
function dnsName(name: string, what: string): string {
  const normal = name.trim().toLowerCase().replace(/\.$/, '');
  if (!DNS_NAME.test(normal)) throw new TypeError(`DKIM ${what} is not a DNS name: ${JSON.stringify(name)}`);
  return normal;
}

export class DkimKeys {
  readonly #db: Db;
  readonly #key: Uint8Array;
  readonly #rng: Rng;
  readonly #generate: DkimKeyGenerator;
  /** Promises, so concurrent first uses in this process load or create the key once. */
  readonly #cache = new Map<string, Promise<DkimKeyPair>>();

  constructor(db: Db, opts: { gatewaySecret: Uint8Array; rng: Rng; generate: DkimKeyGenerator }) {
    this.#db = db;
    this.#key = gatewaySubkey(opts.gatewaySecret, 'dkim');
    this.#rng = opts.rng;
    this.#generate = opts.generate;
  }

  /**
   * The key for (domain, selector), created if there is none. Concurrent first uses, in this
   * process or others, agree on one key (the first insert wins; the others load it). A wrong
   * gateway secret gives `integrity`, never a second key.
   */
  async signingKey(domain: string, selector: string): Promise<DkimKeyPair> {
    const d = dnsName(domain, 'domain');
    const s = dnsName(selector, 'selector');
    const id = `${d} ${s}`;
    let pending = this.#cache.get(id);
    if (!pending) {
      pending = this.#loadOrCreate(d, s);
      this.#cache.set(id, pending);
      // A failure (storage down) is not remembered: the next call tries again.
      pending.catch(() => this.#cache.delete(id));
    }
    return pending;
  }

  /** Every key's public record, for publishing in DNS; ordered by domain, then selector. */
  async publicRecords(): Promise<DkimPublicRecord[]> {
    const rows = await this.#db.query<{ domain: string; selector: string; public_txt: string; created_ms: number }>(
      'SELECT domain, selector, public_txt, (extract(epoch FROM created_at) * 1000)::int8 AS created_ms FROM dkim_keys ORDER BY domain, selector',
    );
    return rows.map((r) => ({ domain: r.domain, selector: r.selector, publicTxt: r.public_txt, createdAt: new Date(r.created_ms) }));
  }

  async #loadOrCreate(domain: string, selector: string): Promise<DkimKeyPair> {
    const found = await this.#read(domain, selector);
    if (found) return found;
    const generated = await this.#generate();
    await this.#db.query('INSERT INTO dkim_keys (domain, selector, wrapped, public_txt) VALUES ($1, $2, $3, $4) ON CONFLICT (domain, selector) DO NOTHING', [
      domain,
      selector,
      boxSeal(this.#key, Buffer.from(generated.privateKeyPem, 'utf8'), context(domain, selector), this.#rng),
      generated.publicKeyDnsTxt,
    ]);
    // Re-read: another process may have inserted its key first, and that one is published.
    const stored = await this.#read(domain, selector);
    if (!stored) throw new ServiceError('integrity', `the DKIM key for ${selector}._domainkey.${domain} vanished after it was stored`);
    return stored;
  }

  async #read(domain: string, selector: string): Promise<DkimKeyPair | undefined> {
    const [row] = await this.#db.query<{ wrapped: Uint8Array; public_txt: string }>('SELECT wrapped, public_txt FROM dkim_keys WHERE domain = $1 AND selector = $2', [
      domain,
      selector,
    ]);
    if (!row) return undefined;
    const pem = Buffer.from(boxOpen(this.#key, row.wrapped, context(domain, selector))).toString('utf8');
    return { domain, selector, privateKeyPem: pem, publicTxt: row.public_txt };
  }
}
