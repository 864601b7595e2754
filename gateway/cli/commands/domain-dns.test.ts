// `domain dns` in-process against a PostgreSQL schema: the exact zone-file and JSON output
// (the DKIM key is created on first use and reused), settings from a config file, and the
// exact refusals. The path through a running gateway's socket is in test/domain-dns-gateway.test.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mtaStsPolicy, mtaStsPolicyId } from '../../../services/mta-sts.js';
import { openPostgres } from '../../../storage/db.js';
import { createTestSchema, type TestSchema } from '../../../test/helpers/databases.js';
import { fakeIo } from '../../../test/helpers/fake-io.js';
import { runCli } from '../program.js';

let schema: TestSchema;
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  schema = await createTestSchema();
  dir = mkdtempSync(join(tmpdir(), 'lnmp-domain-dns-'));
  env = { DATABASE_URL: schema.url, LNMP_DATA_DIR: join(dir, 'data'), LNMP_GATEWAY_SECRET: 'a test gateway secret of 32+ characters' };
  for (const domain of ['dns.test', 'other.test']) expect(await runCli(['domain', 'add', domain], fakeIo(env))).toBe(0);
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await schema.dispose();
});

async function run(argv: string[], files: Record<string, string> = {}) {
  const io = fakeIo(env, files);
  const code = await runCli(argv, io);
  return { code, out: io.out(), err: io.err() };
}

/** What the database holds after the command: the DKIM key's TXT value and the gateway key. */
async function published(domain: string, selector: string): Promise<{ dkim: string; gateway: string }> {
  const db = await openPostgres(schema.url, { poolSize: 1 });
  try {
    const [dkim] = await db.query<{ public_txt: string }>('SELECT public_txt FROM dkim_keys WHERE domain = $1 AND selector = $2', [domain, selector]);
    const [identity] = await db.query<{ public_key: string }>('SELECT public_key FROM gateway_identity');
    return { dkim: dkim!.public_txt, gateway: identity!.public_key };
  } finally {
    await db.close();
  }
}

/** The TXT value as zone-file strings: the DKIM record is the only one over 255 bytes. */
function quoted(value: string): string {
  const parts: string[] = [];
  for (let i = 0; i < value.length; i += 255) parts.push(`"${value.slice(i, i + 255)}"`);
  return parts.join(' ');
}

describe('domain dns', () => {
  it('prints the zone-file records with the DKIM key it created, then the same key again', async () => {
    const r = await run(['domain', 'dns', 'DNS.test']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const { dkim, gateway } = await published('dns.test', 'lnmp1');
    expect(dkim).toMatch(/^v=DKIM1; k=rsa; p=[A-Za-z0-9+/]+=*$/);
    expect(dkim.length).toBeGreaterThan(255);
    const id = mtaStsPolicyId(mtaStsPolicy({ mode: 'testing', mx: 'mail.example.test' }));
    expect(r.out).toBe(
      [
        'dns.test. 3600 IN MX 10 mail.example.test.',
        'dns.test. 3600 IN TXT "v=spf1 mx -all"',
        `lnmp1._domainkey.dns.test. 3600 IN TXT ${quoted(dkim)}`,
        '_dmarc.dns.test. 3600 IN TXT "v=DMARC1; p=quarantine; rua=mailto:postmaster@dns.test"',
        `_mta-sts.dns.test. 3600 IN TXT "v=STSv1; id=${id}"`,
        '_smtp._tls.dns.test. 3600 IN TXT "v=TLSRPTv1; rua=mailto:postmaster@dns.test"',
        '_submission._tcp.dns.test. 3600 IN SRV 10 1 587 mail.example.test.',
        '_imaps._tcp.dns.test. 3600 IN SRV 0 1 993 mail.example.test.',
        '_imap._tcp.dns.test. 3600 IN SRV 10 1 143 mail.example.test.',
        '_jmap._tcp.dns.test. 3600 IN SRV 0 1 443 mail.example.test.',
        'autoconfig.dns.test. 3600 IN CNAME mail.example.test.',
        'autodiscover.dns.test. 3600 IN CNAME mail.example.test.',
        'mta-sts.dns.test. 3600 IN CNAME mail.example.test.',
        `_lnmp.dns.test. 3600 IN TXT "v=LNMP1; k=${gateway}; u=https://mail.example.test/.well-known/lnmp"`,
        '',
      ].join('\n'),
    );
    expect(await run(['domain', 'dns', 'dns.test'])).toEqual(r);
  });

  it('--json prints {name, type, ttl, value} with whole TXT values', async () => {
    const r = await run(['domain', 'dns', 'dns.test', '--json']);
    expect(r.code).toBe(0);
    const { dkim, gateway } = await published('dns.test', 'lnmp1');
    const records = JSON.parse(r.out) as Array<Record<string, unknown>>;
    expect(records).toHaveLength(14);
    expect(records[0]).toEqual({ name: 'dns.test.', type: 'MX', ttl: 3600, value: '10 mail.example.test.' });
    expect(records[2]).toEqual({ name: 'lnmp1._domainkey.dns.test.', type: 'TXT', ttl: 3600, value: dkim });
    expect(records[13]).toEqual({ name: '_lnmp.dns.test.', type: 'TXT', ttl: 3600, value: `v=LNMP1; k=${gateway}; u=https://mail.example.test/.well-known/lnmp` });
    expect(r.out.endsWith(']\n')).toBe(true);
  });

  it('takes host name, selector, 465 and mode from --config', async () => {
    const config = { hostname: 'MX.Other.test', dkim: { selector: 'sel2' }, ports: { submissions: 2465 }, mode: 'production', lightning: { allowDevInProduction: true } };
    const r = await run(['domain', 'dns', 'other.test', '--config', '/etc/lnmp.json', '--json'], { '/etc/lnmp.json': JSON.stringify(config) });
    expect(r.err).toBe('');
    const records = JSON.parse(r.out) as Array<{ name: string; type: string; value: string }>;
    const { dkim } = await published('other.test', 'sel2');
    expect(records.filter((x) => x.type !== 'TXT' || x.name.startsWith('sel2.') || x.name.startsWith('_mta'))).toEqual([
      { name: 'other.test.', type: 'MX', ttl: 3600, value: '10 mx.other.test.' },
      { name: 'sel2._domainkey.other.test.', type: 'TXT', ttl: 3600, value: dkim },
      { name: '_mta-sts.other.test.', type: 'TXT', ttl: 3600, value: `v=STSv1; id=${mtaStsPolicyId(mtaStsPolicy({ mode: 'enforce', mx: 'mx.other.test' }))}` },
      { name: '_submissions._tcp.other.test.', type: 'SRV', ttl: 3600, value: '0 1 465 mx.other.test.' },
      { name: '_submission._tcp.other.test.', type: 'SRV', ttl: 3600, value: '10 1 587 mx.other.test.' },
      { name: '_imaps._tcp.other.test.', type: 'SRV', ttl: 3600, value: '0 1 993 mx.other.test.' },
      { name: '_imap._tcp.other.test.', type: 'SRV', ttl: 3600, value: '10 1 143 mx.other.test.' },
      { name: '_jmap._tcp.other.test.', type: 'SRV', ttl: 3600, value: '0 1 443 mx.other.test.' },
      { name: 'autoconfig.other.test.', type: 'CNAME', ttl: 3600, value: 'mx.other.test.' },
      { name: 'autodiscover.other.test.', type: 'CNAME', ttl: 3600, value: 'mx.other.test.' },
      { name: 'mta-sts.other.test.', type: 'CNAME', ttl: 3600, value: 'mx.other.test.' },
    ]);
  });

  it.each([
    ['a domain not hosted', 1, ['domain', 'dns', 'nowhere.test'], 'lnmp-gateway: nowhere.test is not hosted here\n'],
    ['a name that is not a domain', 2, ['domain', 'dns', 'not_a domain'], 'lnmp-gateway: "not_a domain" is not a domain name\n'],
    ['a missing argument', 2, ['domain', 'dns'], "lnmp-gateway: missing required argument 'domain'\n"],
    ['an unknown option', 2, ['domain', 'dns', 'dns.test', '--zone'], "lnmp-gateway: unknown option '--zone'\n"],
  ])('refuses %s with one line and exit %i', async (_what, code, argv, stderr) => {
    expect(await run(argv)).toEqual({ code, out: '', err: stderr });
  });

  it('--help names the argument and the options', async () => {
    const r = await run(['domain', 'dns', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Usage: lnmp-gateway domain dns \[options\] <domain>\n/);
    expect(r.out).toContain('--json');
    expect(r.out).toContain('--config <file>');
  });
});
