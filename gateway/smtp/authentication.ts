// SPF, DKIM, DMARC and ARC checks of an arriving message with mailauth, producing the
// `Authentication-Results:` header (RFC 8601) the MX prepends. DNS goes through an injectable
// resolver so tests and operators (`dns.servers`) choose where lookups go.
import { Resolver } from 'node:dns/promises';
import { authenticate, type DNSResolver } from 'mailauth';

export type { DNSResolver };

export interface AuthenticationInput {
  readonly message: Buffer;
  readonly ip: string;
  readonly helo: string;
  /** Our host name, the authserv-id of the header. */
  readonly mta: string;
  /** MAIL FROM; empty for the null reverse path. */
  readonly sender: string;
  readonly resolver: DNSResolver;
}

export interface Authentication {
  /** The `Authentication-Results:` header, folded, ending in CRLF. */
  readonly header: string;
  /** The one From address, or undefined when the message has none or several. */
  readonly from: string | undefined;
  /**
   * Whether `from` is proven: DMARC pass, or a DKIM signature that passes and is aligned with
   * the From domain, or SPF pass for a MAIL FROM domain aligned with it (relaxed alignment).
   */
  readonly fromAuthenticated: boolean;
}

export async function authenticateMessage(input: AuthenticationInput): Promise<Authentication> {
  const result = await authenticate(input.message, {
    ip: input.ip,
    helo: input.helo,
    mta: input.mta,
    sender: input.sender,
    resolver: input.resolver,
    // BIMI is a display feature for clients that show logos; not needed to decide anything.
    disableBimi: true,
  });
  // mailauth also returns Received-SPF (and ARC seals when asked to seal); only the
  // Authentication-Results header, always last, is kept.
  const start = result.headers.lastIndexOf('Authentication-Results:');
  if (start === -1) throw new Error('mailauth returned no Authentication-Results header');
  const froms = result.dkim.headerFrom ?? [];
  const from = froms.length === 1 ? froms[0] : undefined;
  return { header: result.headers.slice(start), from, fromAuthenticated: from !== undefined && proven(from, result) };
}

function proven(from: string, result: Awaited<ReturnType<typeof authenticate>>): boolean {
  if (result.dmarc && result.dmarc.status?.result === 'pass') return true;
  if ((result.dkim.results ?? []).some((r) => r.status?.result === 'pass' && Boolean(r.status.aligned))) return true;
  const fromDomain = from.slice(from.lastIndexOf('@') + 1).toLowerCase();
  const spf = result.spf;
  if (!spf) return false;
  return spf.status?.result === 'pass' && typeof spf.domain === 'string' && aligned(fromDomain, spf.domain.toLowerCase());
}

/** Relaxed alignment without a public-suffix list: the same domain, or one inside the other. */
function aligned(a: string, b: string): boolean {
  return a === b || a.endsWith(`.${b}`) || b.endsWith(`.${a}`);
}

/** node:dns with `servers` when given (config `dns.servers`), else the system's resolver. */
export function systemResolver(servers: readonly string[]): DNSResolver {
  const resolver = new Resolver();
  if (servers.length > 0) resolver.setServers([...servers]);
  return (name, rrtype) => resolver.resolve(name, rrtype) as Promise<string[][] | string[]>;
}
