// The DNS records a hosted domain publishes so that mail, clients and LNMP peers find the
// gateway: MX, SPF, DKIM, DMARC, MTA-STS, TLS-RPT, RFC 6186/8620 SRV, client-setup names and
// `_lnmp`. `domainDnsRecords` is pure; `DomainDns` gathers its inputs (hosting, DKIM key).
import { isLnmpError, normalizeHost } from '../core/index.js';
import type { DkimKeyPair } from './dkim-keys.js';
import { ServiceError } from './errors.js';

/** TTL of every record: an hour, so a mistake is corrected within one. */
export const DNS_TTL_SECONDS = 3600;
/** MX preference; one host only, so any value works. */
export const MX_PREFERENCE = 10;

/**
 * The ports clients reach from the Internet (RFC 8314, RFC 6186, RFC 8620), whatever the
 * gateway binds behind them: the records describe the public deployment, not a dev machine.
 */
export const PUBLIC_PORTS = { submission: 587, submissions: 465, imap: 143, imaps: 993, https: 443 } as const;

/** Where the gateway serves the LNMP identity document of a domain over HTTPS. */
export const LNMP_WELL_KNOWN_PATH = '/.well-known/lnmp';

/** SRV priorities: implicit TLS before STARTTLS, as RFC 8314 §5.1 recommends. */
const SRV_PRIORITY = { implicitTls: 0, startTls: 10 } as const;
const SRV_WEIGHT = 1;

export type DnsRecordType = 'MX' | 'TXT' | 'SRV' | 'CNAME';

/**
 * One record. Names and targets are absolute (trailing dot); a TXT value is the whole text,
 * unquoted (the zone-file form splits it into strings of at most 255 bytes).
 */
export interface DnsRecord {
  readonly name: string;
  readonly type: DnsRecordType;
  readonly ttl: number;
  readonly value: string;
}

export interface DomainDnsInput {
  /** The hosted domain, lower case. */
  readonly domain: string;
  /** The gateway's host name: MX target, SRV target, HTTPS host. */
  readonly hostname: string;
  readonly dkimSelector: string;
  /** The DKIM TXT value, `v=DKIM1; k=rsa; p=...`. */
  readonly dkimTxt: string;
  /** The gateway's LNMP public key (x-only, hex). */
  readonly gatewayPublicKey: string;
  /** Whether implicit-TLS submission (465) is offered. */
  readonly submissions: boolean;
  /** The `id=` of the current MTA-STS policy. */
  readonly mtaStsId: string;
}

const fqdn = (name: string) => `${name.toLowerCase().replace(/\.$/, '')}.`;

export function domainDnsRecords(input: DomainDnsInput): DnsRecord[] {
  const domain = fqdn(input.domain);
  const host = fqdn(input.hostname);
  const record = (label: string, type: DnsRecordType, value: string): DnsRecord => ({
    name: label === '' ? domain : `${label}.${domain}`,
    type,
    ttl: DNS_TTL_SECONDS,
    value,
  });
  const srv = (service: string, priority: number, port: number) => record(`_${service}._tcp`, 'SRV', `${priority} ${SRV_WEIGHT} ${port} ${host}`);
  const postmaster = `postmaster@${input.domain.toLowerCase()}`;
  const records: DnsRecord[] = [
    record('', 'MX', `${MX_PREFERENCE} ${host}`),
    record('', 'TXT', 'v=spf1 mx -all'),
    record(`${input.dkimSelector.toLowerCase()}._domainkey`, 'TXT', input.dkimTxt),
    record('_dmarc', 'TXT', `v=DMARC1; p=quarantine; rua=mailto:${postmaster}`),
    record('_mta-sts', 'TXT', `v=STSv1; id=${input.mtaStsId}`),
    record('_smtp._tls', 'TXT', `v=TLSRPTv1; rua=mailto:${postmaster}`),
    ...(input.submissions ? [srv('submissions', SRV_PRIORITY.implicitTls, PUBLIC_PORTS.submissions)] : []),
    srv('submission', SRV_PRIORITY.startTls, PUBLIC_PORTS.submission),
    srv('imaps', SRV_PRIORITY.implicitTls, PUBLIC_PORTS.imaps),
    srv('imap', SRV_PRIORITY.startTls, PUBLIC_PORTS.imap),
    srv('jmap', SRV_PRIORITY.implicitTls, PUBLIC_PORTS.https),
    // Served by the gateway's HTTP listener: Thunderbird autoconfig, Outlook Autodiscover and
    // the MTA-STS policy. A name that is the gateway's host itself needs no alias.
    ...['autoconfig', 'autodiscover', 'mta-sts'].map((label) => record(label, 'CNAME', host)).filter((r) => r.name !== host),
    record('_lnmp', 'TXT', `v=LNMP1; k=${input.gatewayPublicKey}; u=https://${host.slice(0, -1)}${LNMP_WELL_KNOWN_PATH}`),
  ];
  return records;
}

export interface DomainDnsOptions {
  readonly isHostedDomain: (domain: string) => Promise<boolean>;
  readonly dkimKeys: { signingKey(domain: string, selector: string): Promise<DkimKeyPair> };
  readonly gatewayPublicKey: string;
  readonly hostname: string;
  readonly dkimSelector: string;
  readonly submissions: boolean;
  readonly mtaStsId: string;
}

/** The records of hosted domains, with the DKIM key of the configured selector created on first use. */
export class DomainDns {
  readonly #opts: DomainDnsOptions;

  constructor(opts: DomainDnsOptions) {
    this.#opts = opts;
  }

  /**
   * @throws ServiceError `invalid_address` for a name that is not a domain name,
   *   `domain_not_hosted` for a domain this gateway does not host.
   */
  async records(name: string): Promise<DnsRecord[]> {
    let domain: string;
    try {
      domain = normalizeHost(typeof name === 'string' ? name.replace(/\.$/, '') : name);
    } catch (cause) {
      if (!isLnmpError(cause)) throw cause;
      throw new ServiceError('invalid_address', `"${name}" is not a domain name`, { cause });
    }
    const o = this.#opts;
    if (!(await o.isHostedDomain(domain))) throw new ServiceError('domain_not_hosted', `${domain} is not hosted here`);
    const key = await o.dkimKeys.signingKey(domain, o.dkimSelector);
    return domainDnsRecords({
      domain,
      hostname: o.hostname,
      dkimSelector: o.dkimSelector,
      dkimTxt: key.publicTxt,
      gatewayPublicKey: o.gatewayPublicKey,
      submissions: o.submissions,
      mtaStsId: o.mtaStsId,
    });
  }
}
