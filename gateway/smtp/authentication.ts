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

/** The `Authentication-Results:` header, folded, ending in CRLF. */
export async function authenticationResults(input: AuthenticationInput): Promise<string> {
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
  return result.headers.slice(start);
}

/** node:dns with `servers` when given (config `dns.servers`), else the system's resolver. */
export function systemResolver(servers: readonly string[]): DNSResolver {
  const resolver = new Resolver();
  if (servers.length > 0) resolver.setServers([...servers]);
  return (name, rrtype) => resolver.resolve(name, rrtype) as Promise<string[][] | string[]>;
}
