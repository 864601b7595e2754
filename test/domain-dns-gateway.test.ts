// `domain dns` and the client-setup routes against a running gateway on embedded PGlite: the
// command goes through the admin socket (op domain.dns) while the gateway holds the data
// directory, the gateway serves the MTA-STS policy and autoconfig over its HTTP port, and after
// it stops the command opens the same database itself and prints the same records.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import { runCli } from '../gateway/cli/program.js';
import { createLogger } from '../gateway/log.js';
import { startGateway, type RunningGateway } from '../gateway/server.js';
import { openPglite } from '../storage/db.js';
import { seedPgliteDataDir } from './helpers/databases.js';
import { fakeIo } from './helpers/fake-io.js';

let root: string;
let env: Record<string, string>;
let gateway: RunningGateway | undefined;
const logLines: string[] = [];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'lnmp-dns-gw-'));
  env = { LNMP_DATA_DIR: join(root, 'data'), LNMP_HTTP_PORT: '0', LNMP_SMTP_PORT: '0', LNMP_SUBMISSION_PORT: '0', LNMP_IMAP_PORT: '0', LNMP_IMAPS_PORT: '0', LNMP_RELAY_PORT: '0', LNMP_HOSTNAME: 'mx.example.test' };
  await seedPgliteDataDir(env['LNMP_DATA_DIR']!);
  const { config } = loadConfig({ env, readFile: () => '' });
  gateway = await startGateway(config, createLogger({ level: 'info', write: (line) => logLines.push(line) }));
});

afterAll(async () => {
  await gateway?.close();
  rmSync(root, { recursive: true, force: true });
});

async function run(argv: string[]) {
  const io = fakeIo(env);
  const code = await runCli(argv, io);
  return { code, out: io.out(), err: io.err() };
}

describe('a running gateway', () => {
  let throughSocket: Awaited<ReturnType<typeof run>>;

  it('serves the MTA-STS policy and autoconfig on its HTTP port', async () => {
    const base = `http://127.0.0.1:${gateway!.httpPort}`;
    const policy = await fetch(`${base}/.well-known/mta-sts.txt`);
    expect(await policy.text()).toBe('version: STSv1\r\nmode: testing\r\nmx: mx.example.test\r\nmax_age: 604800\r\n');
    const config = await fetch(`${base}/mail/config-v1.1.xml?emailaddress=ann@example.test`);
    expect(config.status).toBe(200);
    expect(await config.text()).toContain('<emailProvider id="example.test">\n    <domain>example.test</domain>\n');
    const elsewhere = await fetch(`${base}/mail/config-v1.1.xml?emailaddress=ann@elsewhere.test`);
    expect({ status: elsewhere.status, body: await elsewhere.text() }).toEqual({ status: 404, body: '{"error":"not_found"}' });
  });

  it('answers domain dns through the admin socket', async () => {
    throughSocket = await run(['domain', 'dns', 'example.test']);
    expect(throughSocket.err).toBe('');
    expect(throughSocket.code).toBe(0);
    expect(throughSocket.out.split('\n')[0]).toBe('example.test. 3600 IN MX 10 mx.example.test.');
    expect(await run(['domain', 'dns', 'nowhere.test'])).toEqual({ code: 1, out: '', err: 'lnmp-gateway: nowhere.test is not hosted here\n' });
    const requests = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e['msg'] === 'admin request');
    expect(requests).toContainEqual(expect.objectContaining({ op: 'domain.dns', ok: true }));
    expect(requests).toContainEqual(expect.objectContaining({ op: 'domain.dns', ok: false, code: 'domain_not_hosted' }));
  });

  it('after it stops, the command opens the database itself and prints the same records, whose keys are the stored ones', async () => {
    await gateway!.close();
    gateway = undefined;
    expect(await run(['domain', 'dns', 'example.test'])).toEqual(throughSocket);

    const json = await run(['domain', 'dns', 'example.test', '--json']);
    const records = JSON.parse(json.out) as Array<{ name: string; value: string }>;
    // Opened only now that no command holds the directory.
    const db = await openPglite({ dataDir: join(env['LNMP_DATA_DIR']!, 'pglite') });
    try {
      const [dkim] = await db.query<{ public_txt: string }>("SELECT public_txt FROM dkim_keys WHERE domain = 'example.test' AND selector = 'lnmp1'");
      const [identity] = await db.query<{ public_key: string }>('SELECT public_key FROM gateway_identity');
      expect(records.find((r) => r.name === 'lnmp1._domainkey.example.test.')?.value).toBe(dkim!.public_txt);
      expect(records.find((r) => r.name === '_lnmp.example.test.')?.value).toBe(`v=LNMP1; k=${identity!.public_key}; u=https://mx.example.test/.well-known/lnmp`);
    } finally {
      await db.close();
    }
  });
});
