// The records a hosted domain publishes, as values (the zone-file form is tested in
// gateway/cli/zone-file.test.ts), and how DomainDns refuses names it cannot answer for.
import { describe, expect, it } from 'vitest';
import type { DkimKeyPair } from './dkim-keys.js';
import { DomainDns, domainDnsRecords, type DnsRecord } from './domain-dns.js';
import { ServiceError } from './errors.js';

const KEY = 'a'.repeat(64);
const DKIM_TXT = 'v=DKIM1; k=rsa; p=MIIBIjAN';

const base = {
  domain: 'example.org',
  hostname: 'Mail.Example.org',
  dkimSelector: 'lnmp1',
  dkimTxt: DKIM_TXT,
  gatewayPublicKey: KEY,
  submissions: false,
  mtaStsId: '0123456789abcdef0123',
};

const row = (name: string, type: DnsRecord['type'], value: string): DnsRecord => ({ name, type, ttl: 3600, value });

describe('domainDnsRecords', () => {
  it('lists every record with absolute names and the public ports', () => {
    expect(domainDnsRecords(base)).toEqual([
      row('example.org.', 'MX', '10 mail.example.org.'),
      row('example.org.', 'TXT', 'v=spf1 mx -all'),
      row('lnmp1._domainkey.example.org.', 'TXT', DKIM_TXT),
      row('_dmarc.example.org.', 'TXT', 'v=DMARC1; p=quarantine; rua=mailto:postmaster@example.org'),
      row('_mta-sts.example.org.', 'TXT', 'v=STSv1; id=0123456789abcdef0123'),
      row('_smtp._tls.example.org.', 'TXT', 'v=TLSRPTv1; rua=mailto:postmaster@example.org'),
      row('_submission._tcp.example.org.', 'SRV', '10 1 587 mail.example.org.'),
      row('_imaps._tcp.example.org.', 'SRV', '0 1 993 mail.example.org.'),
      row('_imap._tcp.example.org.', 'SRV', '10 1 143 mail.example.org.'),
      row('_jmap._tcp.example.org.', 'SRV', '0 1 443 mail.example.org.'),
      row('autoconfig.example.org.', 'CNAME', 'mail.example.org.'),
      row('autodiscover.example.org.', 'CNAME', 'mail.example.org.'),
      row('mta-sts.example.org.', 'CNAME', 'mail.example.org.'),
      row('_lnmp.example.org.', 'TXT', `v=LNMP1; k=${KEY}; u=https://mail.example.org/.well-known/lnmp`),
    ]);
  });

  it('adds _submissions when 465 is offered, before _submission', () => {
    const names = domainDnsRecords({ ...base, submissions: true }).filter((r) => r.type === 'SRV');
    expect(names.slice(0, 2)).toEqual([row('_submissions._tcp.example.org.', 'SRV', '0 1 465 mail.example.org.'), row('_submission._tcp.example.org.', 'SRV', '10 1 587 mail.example.org.')]);
  });

  it('gives no alias to a name that is the gateway host itself', () => {
    const cnames = domainDnsRecords({ ...base, hostname: 'autoconfig.example.org' }).filter((r) => r.type === 'CNAME');
    expect(cnames.map((r) => r.name)).toEqual(['autodiscover.example.org.', 'mta-sts.example.org.']);
  });
});

describe('DomainDns', () => {
  const keys: Array<[string, string]> = [];
  const dns = new DomainDns({
    isHostedDomain: (domain) => Promise.resolve(domain === 'example.org'),
    dkimKeys: {
      signingKey: (domain, selector): Promise<DkimKeyPair> => {
        keys.push([domain, selector]);
        return Promise.resolve({ domain, selector, privateKeyPem: '', publicTxt: DKIM_TXT });
      },
    },
    gatewayPublicKey: KEY,
    hostname: 'mail.example.org',
    dkimSelector: 'lnmp1',
    submissions: false,
    mtaStsId: base.mtaStsId,
  });

  it('normalises the name and asks for the key of the configured selector', async () => {
    expect(await dns.records('Example.ORG.')).toEqual(domainDnsRecords(base));
    expect(keys).toEqual([['example.org', 'lnmp1']]);
  });

  it('refuses a domain not hosted and a name that is not a domain', async () => {
    await expect(dns.records('other.org')).rejects.toEqual(new ServiceError('domain_not_hosted', 'other.org is not hosted here'));
    await expect(dns.records('exa mple.org')).rejects.toEqual(new ServiceError('invalid_address', '"exa mple.org" is not a domain name'));
    expect(keys).toHaveLength(1);
  });
});
