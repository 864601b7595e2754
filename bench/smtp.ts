// `npm run bench -- smtp`: the MX under load from Postfix's smtp-source (Debian package
// `postfix`; the daemon is not started): 4 KiB messages to hosted users, SPF and DMARC
// evaluated against a local resolver, every message converted, signed, sealed and committed
// before its 250. The ceiling is smtp-source → smtp-sink (which answers 250 and keeps nothing)
// in the same run. Modes: 20 sessions reusing connections (-d), and 200 sessions with a new
// connection per message. Also: p50/p99 from end of DATA to 250, where that time goes, and
// the CPU cost of each step measured alone.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../config/load.js';
import { createMessage, identityFromPrivateKey } from '../core/index.js';
import { mimeToContent } from '../converters/index.js';
import type { DNSResolver } from '../gateway/smtp/authentication.js';
import { authenticateMessage } from '../gateway/smtp/authentication.js';
import type { MxTiming } from '../gateway/smtp/context.js';
import { createLogger } from '../gateway/log.js';
import { startGateway } from '../gateway/server.js';
import { AccountService } from '../services/account-service.js';
import { systemRng } from '../services/random.js';
import { openPostgres } from '../storage/db.js';
import { startDnsServer } from '../test/helpers/dns-server.js';
import { cpuSecondsWhere, fmt, measure } from './measure.js';

const URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SOURCE = '/usr/sbin/smtp-source';
const SINK = '/usr/sbin/smtp-sink';
const MESSAGE_BYTES = 4096;
const USERS = 100;
const MODES = [
  { name: 'reuse', sessions: 20, messages: 6000, reuse: true },
  { name: 'new connection', sessions: 200, messages: 3000, reuse: false },
] as const;
const SENDER = 'load@sender.bench';
const REDIS = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Worker processes in the cluster run: one per core. */
const WORKERS = 2;
/** One secret for the in-process gateway and the cluster: they share the database and its gateway identity. */
const GATEWAY_SECRET = randomBytes(32).toString('hex');
const CLI = new globalThis.URL('../gateway/cli/main.js', import.meta.url).pathname;

/** SPF and DMARC for the sending domain; everything else does not exist. */
const resolver: DNSResolver = (name, rrtype) => {
  if (rrtype === 'TXT' && name === 'sender.bench') return Promise.resolve([['v=spf1 ip4:127.0.0.1 -all']]);
  if (rrtype === 'TXT' && name === '_dmarc.sender.bench') return Promise.resolve([['v=DMARC1; p=reject']]);
  return Promise.reject(Object.assign(new Error(`${rrtype} ENOTFOUND ${name}`), { code: 'ENOTFOUND' }));
};

function run(cmd: string, args: string[]): Promise<{ code: number | null; ms: number; stderr: string }> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, ms: performance.now() - start, stderr }));
  });
}

function sourceArgs(mode: (typeof MODES)[number], port: number, to: string): string[] {
  return [...(mode.reuse ? ['-d'] : []), '-N', '-s', String(mode.sessions), '-m', String(mode.messages), '-l', String(MESSAGE_BYTES), '-f', SENDER, '-t', to, '-M', 'client.sender.bench', `127.0.0.1:${port}`];
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

async function ceiling(mode: (typeof MODES)[number]): Promise<number> {
  const port = 30_000 + Math.floor(Math.random() * 20_000);
  const sink = spawn(SINK, ['-u', 'nobody', `127.0.0.1:${port}`, '1024'], { stdio: 'ignore' });
  try {
    await waitForPort(port);
    const r = await run(SOURCE, sourceArgs(mode, port, 'user@sink.bench'));
    if (r.code !== 0) throw new Error(`smtp-source → smtp-sink failed: ${r.stderr}`);
    return mode.messages / (r.ms / 1000);
  } finally {
    sink.kill();
  }
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

export async function runSmtpBench(): Promise<void> {
  for (const bin of [SOURCE, SINK]) {
    if (!existsSync(bin)) throw new Error(`${bin} is missing: apt-get install postfix (the daemon need not run)`);
  }
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const admin = await openPostgres(URL, { poolSize: 1 });
  await admin.exec(`CREATE SCHEMA ${schema}`);
  const dataDir = mkdtempSync(join(tmpdir(), 'lnmp-bench-smtp-'));
  const url = `${URL}${URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  const timings: MxTiming[] = [];
  const config = loadConfig({
    env: { DATABASE_URL: url, LNMP_DATA_DIR: dataDir, LNMP_DOMAIN: 'bench.test', LNMP_HOSTNAME: 'mx.bench.test', LNMP_SMTP_PORT: '0', LNMP_SUBMISSION_PORT: '0', LNMP_IMAP_PORT: '0', LNMP_IMAPS_PORT: '0', LNMP_RELAY_PORT: '0', LNMP_HTTP_PORT: '0', LNMP_LOG_LEVEL: 'error', LNMP_GATEWAY_SECRET: GATEWAY_SECRET },
    readFile: () => '',
  }).config;
  const gateway = await startGateway(config, createLogger({ level: 'error' }), { resolver, observeMx: (t) => timings.push(t) });
  const db = await openPostgres(url, { poolSize: 2 });
  let gatewayClosed = false;
  const results: Record<string, { value: number; unit: string; ceiling?: number; ratio?: number }> = {};
  try {
    const accounts = new AccountService(db, { rng: systemRng, kdf: { N: 1024, r: 8, p: 1 } });
    const userIds: number[] = [];
    for (let i = 0; i < USERS; i++) userIds.push((await accounts.createUser({ address: `u${i}@bench.test`, password: 'bench-password' })).userId);
    // smtp-source -N sends to 1user@, 2user@, ...: aliases spread them over the users.
    const most = Math.max(...MODES.map((m) => m.messages)) + 1;
    const numbers = Array.from({ length: most }, (_, i) => i);
    await db.query('INSERT INTO aliases (address, user_id) SELECT n || $1, ($2::int8[])[n % $3 + 1] FROM unnest($4::int4[]) AS n', ['user@bench.test', userIds, USERS, numbers]);
    console.log(`smtp benchmark: Node ${process.version}, ${MESSAGE_BYTES} B messages, ${USERS} users, PostgreSQL`);

    for (const mode of MODES) {
      const sinkRate = await ceiling(mode);
      timings.length = 0;
      const cpuBefore = process.cpuUsage();
      const pgBefore = cpuSecondsOf('postgres');
      const before = (await db.query<{ n: number }>('SELECT count(*)::int8 AS n FROM messages'))[0]!.n;
      const r = await run(SOURCE, sourceArgs(mode, gateway.smtpPort, 'user@bench.test'));
      if (r.code !== 0) throw new Error(`smtp-source → gateway failed: ${r.stderr}`);
      const stored = (await db.query<{ n: number }>('SELECT count(*)::int8 AS n FROM messages'))[0]!.n - before;
      if (stored !== mode.messages) throw new Error(`${mode.messages} sent but ${stored} stored`);
      const rate = mode.messages / (r.ms / 1000);
      const cpu = process.cpuUsage(cpuBefore);
      const gatewayCpuMs = (cpu.user + cpu.system) / 1000 / mode.messages;
      const pgCpuMs = ((cpuSecondsOf('postgres') - pgBefore) * 1000) / mode.messages;
      const total = timings.map((t) => t.totalMs).sort((a, b) => a - b);
      const mean = (f: (t: MxTiming) => number) => timings.reduce((s, t) => s + f(t), 0) / timings.length;
      const key = mode.reuse ? 'reuse' : 'new';
      results[`${key}_msgs_per_s`] = { value: rate, unit: 'msg/s', ceiling: sinkRate, ratio: rate / sinkRate };
      results[`${key}_p50_ms`] = { value: percentile(total, 50), unit: 'ms' };
      results[`${key}_p99_ms`] = { value: percentile(total, 99), unit: 'ms' };
      results[`${key}_auth_mean_ms`] = { value: mean((t) => t.authMs), unit: 'ms' };
      results[`${key}_deliver_mean_ms`] = { value: mean((t) => t.deliverMs), unit: 'ms' };
      results[`${key}_gateway_cpu_ms_per_msg`] = { value: gatewayCpuMs, unit: 'ms' };
      results[`${key}_postgres_cpu_ms_per_msg`] = { value: pgCpuMs, unit: 'ms' };
      console.log(
        `${mode.name.padEnd(15)} ${String(mode.sessions).padStart(3)} sessions: ${fmt(rate).padStart(6)} msg/s  (smtp-sink ${fmt(sinkRate)} msg/s, ratio ${(rate / sinkRate).toFixed(3)})` +
          `  end of DATA → 250: p50 ${percentile(total, 50).toFixed(1)} ms, p99 ${percentile(total, 99).toFixed(1)} ms; mean auth ${mean((t) => t.authMs).toFixed(2)} ms, deliver ${mean((t) => t.deliverMs).toFixed(2)} ms;` +
          ` CPU per message: gateway ${gatewayCpuMs.toFixed(2)} ms, PostgreSQL ${pgCpuMs.toFixed(2)} ms`,
      );
    }

    // The same load against `lnmp-gateway start` with one worker process per core.
    await gateway.close();
    gatewayClosed = true;
    const dns = await startDnsServer({ 'sender.bench': { TXT: ['v=spf1 ip4:127.0.0.1 -all'] }, '_dmarc.sender.bench': { TXT: ['v=DMARC1; p=reject'] } });
    const clusterDir = mkdtempSync(join(tmpdir(), 'lnmp-bench-smtp-cluster-'));
    const { child, port } = await startCluster({ DATABASE_URL: url, REDIS_URL: REDIS, LNMP_DATA_DIR: clusterDir, LNMP_DOMAIN: 'bench.test', LNMP_HOSTNAME: 'mx.bench.test', LNMP_SMTP_PORT: '0', LNMP_SUBMISSION_PORT: '0', LNMP_IMAP_PORT: '0', LNMP_IMAPS_PORT: '0', LNMP_RELAY_PORT: '0', LNMP_HTTP_PORT: '0', LNMP_LOG_LEVEL: 'info', LNMP_DNS_SERVERS: dns.address, LNMP_WORKERS: String(WORKERS), LNMP_GATEWAY_SECRET: GATEWAY_SECRET });
    try {
      for (const mode of MODES) {
        const before = (await db.query<{ n: number }>('SELECT count(*)::int8 AS n FROM messages'))[0]!.n;
        const r = await run(SOURCE, sourceArgs(mode, port, 'user@bench.test'));
        if (r.code !== 0) throw new Error(`smtp-source → cluster failed: ${r.stderr}`);
        const stored = (await db.query<{ n: number }>('SELECT count(*)::int8 AS n FROM messages'))[0]!.n - before;
        if (stored !== mode.messages) throw new Error(`${mode.messages} sent but ${stored} stored`);
        const rate = mode.messages / (r.ms / 1000);
        const key = mode.reuse ? 'reuse' : 'new';
        const sinkRate = results[`${key}_msgs_per_s`]!.ceiling!;
        results[`${key}_${WORKERS}workers_msgs_per_s`] = { value: rate, unit: 'msg/s', ceiling: sinkRate, ratio: rate / sinkRate };
        console.log(`${`${mode.name}, ${WORKERS} workers`.padEnd(26)} ${String(mode.sessions).padStart(3)} sessions: ${fmt(rate).padStart(6)} msg/s  (ratio to smtp-sink ${(rate / sinkRate).toFixed(3)})`);
      }
    } finally {
      await stopCluster(child);
      await dns.close();
      rmSync(clusterDir, { recursive: true, force: true });
    }

    // The CPU cost of each step alone, on one message of the same shape.
    const sample = Buffer.from(`Received: from client.sender.bench ([127.0.0.1])\r\nFrom: <${SENDER}>\r\nTo: <user@bench.test>\r\nSubject: bench\r\nMessage-Id: <1.2@client.sender.bench>\r\n\r\n${'X'.repeat(78)}\r\n`.repeat(1).padEnd(MESSAGE_BYTES, 'X'));
    const content = await mimeToContent(sample);
    const gatewayKey = identityFromPrivateKey(systemRng(32));
    const recipient = identityFromPrivateKey(systemRng(32)).publicKey;
    const steps: Record<string, number> = {};
    steps['convert (mimeToContent)'] = await asyncRate(() => mimeToContent(sample));
    steps['sign + seal envelope'] = measure(() => createMessage({ privateKey: gatewayKey.privateKey, to: [recipient], content, timestamp: 1 }, systemRng)).perSecond;
    steps['authenticate (SPF+DKIM+DMARC)'] = await asyncRate(() => authenticateMessage({ message: sample, ip: '127.0.0.1', helo: 'client.sender.bench', mta: 'mx.bench.test', sender: SENDER, resolver }));
    for (const [name, perSecond] of Object.entries(steps)) {
      console.log(`  ${name.padEnd(32)} ${fmt(perSecond).padStart(7)} /s alone  (${(1000 / perSecond).toFixed(3)} ms each)`);
      results[`step_${name.split(' ')[0]}_per_s`] = { value: perSecond, unit: '/s' };
    }
  } finally {
    await db.close();
    if (!gatewayClosed) await gateway.close();
    rmSync(dataDir, { recursive: true, force: true });
    await admin.exec(`DROP SCHEMA ${schema} CASCADE`);
    await admin.close();
  }
  console.log(JSON.stringify({ bench: 'smtp', node: process.version, results: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, { ...v, value: Math.round(v.value * 100) / 100 }])) }));
}

async function asyncRate(fn: () => Promise<unknown>, budgetMs = 1000): Promise<number> {
  for (let i = 0; i < 20; i++) await fn();
  let ops = 0;
  const start = performance.now();
  while (performance.now() - start < budgetMs) {
    await fn();
    ops++;
  }
  return ops / ((performance.now() - start) / 1000);
}

async function startCluster(env: Record<string, string>): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [CLI, 'start'], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let buffered = '';
  let found = false;
  const listening = new Set<number>();
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the cluster did not listen within 60 s: ${buffered}`)), 60_000);
    child.on('exit', (code) => reject(new Error(`the cluster exited with ${code}: ${buffered}`)));
    // Read line by line until both workers listen; after that the log is drained unread, so
    // the harness takes no CPU from the gateway under load.
    child.stderr!.on('data', (chunk: Buffer) => {
      if (found) return;
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        const e = JSON.parse(line) as { msg?: string; service?: string; worker?: number; port?: number };
        if (e.msg === 'listening' && e.service === 'smtp' && e.worker !== undefined) listening.add(e.worker);
        if (listening.size === WORKERS && typeof e.port === 'number') {
          found = true;
          clearTimeout(timer);
          resolve(e.port);
          return;
        }
      }
    });
  });
  return { child, port };
}

function stopCluster(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** User + system CPU seconds of every process with this command name (Linux /proc). */
function cpuSecondsOf(command: string): number {
  return cpuSecondsWhere((p) => p.command === command);
}
