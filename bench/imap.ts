// `npm run bench -- imap`: the IMAP front-end on a 10k-message mailbox against Dovecot (Debian
// `dovecot-imapd`, a throwaway config in a temp dir, started and stopped here) in the same
// run, both over IMAPS (implicit TLS) on loopback. The clients run in a child process
// (bench/imap-clients.ts) and send both servers the same bytes. Measures SELECT, UID FETCH
// 1:* (UID FLAGS), FETCH 1:* (ENVELOPE) and UID SEARCH TEXT (p50/p99), a mixed load of 20
// clients (operations/s) and the memory of 1,000 idle connections.
// LNMP_BENCH_PROFILE=1 also profiles the gateway (in-process) during each latency series
// and prints the functions with the most self time. LNMP_BENCH_IMAP_MESSAGES (a multiple of
// 100) sets a smaller mailbox for a quicker run; recorded results use the default 10k.
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { seedMailbox, startBenchGateway } from './bench-gateway.js';
import { SEARCH_WORD, type Job } from './imap-clients.js';
import { fmt, freePort } from './measure.js';

const DOVECOT = '/usr/sbin/dovecot';
const DOVEADM = '/usr/bin/doveadm';
const MESSAGES = Number(process.env.LNMP_BENCH_IMAP_MESSAGES ?? 10_000);
const REPEATS = 15;
const MIXED_CLIENTS = 20;
const MIXED_SECONDS = 10;
const IDLE_CONNECTIONS = 1000;
const PASSWORD = 'bench-password';
const GATEWAY_USER = 'bench@bench.test';
const DOVECOT_USER = 'bench';
const PROFILE = process.env.LNMP_BENCH_PROFILE === '1';
const CLIENTS = fileURLToPath(new globalThis.URL('./imap-clients.js', import.meta.url));

const LATENCY = [
  { key: 'select', command: 'SELECT INBOX', target: undefined, expect: (r: Repeated) => r.kept.some((l) => l.startsWith(`* ${MESSAGES} EXISTS`)), keep: 'EXISTS' },
  { key: 'uid_fetch_flags', command: 'UID FETCH 1:* (UID FLAGS)', target: 300, expect: (r: Repeated) => r.untagged === MESSAGES },
  { key: 'fetch_envelope', command: 'FETCH 1:* (ENVELOPE)', target: 1000, expect: (r: Repeated) => r.untagged === MESSAGES },
  { key: 'uid_search_text', command: `UID SEARCH TEXT "${SEARCH_WORD}"`, target: 1000, expect: (r: Repeated) => r.kept.join(' ').split(' ').length - 2 === MESSAGES / 100, keep: '^\\* SEARCH' },
] as const;

interface Repeated {
  ms: number[];
  untagged: number;
  kept: string[];
}
interface Mixed {
  ops: number;
  seconds: number;
  cycles: number;
  byKind: Record<string, { count: number; p50: number; p99: number }>;
}
type Result = { value: number; unit: string; dovecot?: number; ratio?: number; target?: string; met?: boolean };

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

/** A gc() for memory figures; the runner is started without --expose-gc. */
function gcFunction(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

/** Runs jobs in the client process, one reply per job. */
function clientProcess(): { call<T>(job: Job): Promise<T>; stop(): void } {
  const child: ChildProcess = fork(CLIENTS, ['--imap-bench-clients'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let next = 0;
  child.on('message', (msg: { id: number; result?: unknown; error?: string }) => {
    const p = pending.get(msg.id);
    pending.delete(msg.id);
    if (msg.error !== undefined) p?.reject(new Error(msg.error));
    else p?.resolve(msg.result);
  });
  child.on('exit', (code) => {
    for (const p of pending.values()) p.reject(new Error(`the client process exited with ${code}`));
  });
  return {
    call<T>(job: Job): Promise<T> {
      const id = ++next;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.send({ id, job });
      });
    },
    stop: () => child.kill(),
  };
}

interface Dovecot {
  port: number;
  masterPid: number;
  stop(): void;
}

/** Dovecot with its own base, state and mail directories under `dir`; IMAPS only, one user. */
async function startDovecot(dir: string): Promise<Dovecot> {
  chmodSync(dir, 0o755);
  for (const d of ['run', 'state', 'mail']) mkdirSync(join(dir, d));
  const uid = Number(spawnSync('id', ['-u', 'dovecot']).stdout.toString().trim());
  const gid = Number(spawnSync('id', ['-g', 'dovecot']).stdout.toString().trim());
  chownSync(join(dir, 'mail'), uid, gid);
  const cert = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=localhost']);
  if (cert.status !== 0) throw new Error(`openssl: ${cert.stderr.toString()}`);
  writeFileSync(join(dir, 'passwd'), `${DOVECOT_USER}:{PLAIN}${PASSWORD}:${uid}:${gid}::${join(dir, 'mail', DOVECOT_USER)}\n`);
  const port = await freePort();
  const conf = join(dir, 'dovecot.conf');
  writeFileSync(conf, `base_dir = ${join(dir, 'run')}
state_dir = ${join(dir, 'state')}
log_path = ${join(dir, 'dovecot.log')}
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <${join(dir, 'cert.pem')}
ssl_key = <${join(dir, 'key.pem')}
ssl_dh = </usr/share/dovecot/dh.pem
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
first_valid_uid = ${uid}
last_valid_uid = ${uid}
auth_mechanisms = plain login
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${join(dir, 'passwd')}
}
userdb {
  driver = passwd-file
  args = username_format=%u ${join(dir, 'passwd')}
}
mail_location = maildir:~/Maildir
mail_max_userip_connections = ${IDLE_CONNECTIONS * 2}
default_process_limit = ${IDLE_CONNECTIONS * 2}
default_client_limit = ${IDLE_CONNECTIONS * 4}
service imap-login {
  inet_listener imap {
    port = 0
  }
  inet_listener imaps {
    port = ${port}
    ssl = yes
  }
  # "High-performance mode": login processes serve many connections (and proxy their TLS).
  service_count = 0
  process_min_avail = 2
}
service anvil {
  client_limit = ${IDLE_CONNECTIONS * 5}
}
`);
  const check = spawnSync(DOVECOT, ['-c', conf, '-n']);
  if (check.status !== 0) throw new Error(`dovecot -n: ${check.stderr.toString()}`);
  // The master daemonizes but keeps its stdio: with pipes, spawnSync would wait for it to exit.
  const start = spawnSync(DOVECOT, ['-c', conf], { stdio: 'ignore' });
  if (start.status !== 0) throw new Error(`dovecot exited with ${start.status}: see ${join(dir, 'dovecot.log')}`);
  const pidFile = join(dir, 'run', 'master.pid');
  for (let i = 0; i < 100 && !existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 50));
  const masterPid = Number(readFileSync(pidFile, 'utf8').trim());
  return {
    port,
    masterPid,
    stop() {
      spawnSync(DOVEADM, ['-c', conf, 'stop'], { stdio: 'ignore' });
    },
  };
}

/** RSS and PSS (kB) of the Dovecot master and its children, from /proc. */
function dovecotMemory(masterPid: number): { rssKb: number; pssKb: number; processes: number } {
  let rssKb = 0;
  let pssKb = 0;
  let processes = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (Number(pid) !== masterPid && ppid !== masterPid) continue;
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      rssKb += Number(/^Rss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
      pssKb += Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
      processes++;
    } catch {
      // The process ended in between.
    }
  }
  return { rssKb, pssKb, processes };
}

async function settle(gc: () => void): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Self time per function of a V8 CPU profile, highest first. */
function topFunctions(profile: { nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }>; samples?: number[] }, count: number): string[] {
  const self = new Map<string, number>();
  let total = 0;
  for (const n of profile.nodes) {
    const hits = n.hitCount ?? 0;
    total += hits;
    const url = n.callFrame.url.replace(/^file:\/\/.*?\/(node_modules|dist)\//, '$1/');
    const name = `${n.callFrame.functionName || '(anonymous)'} ${url ? `${url}:${n.callFrame.lineNumber + 1}` : ''}`.trim();
    self.set(name, (self.get(name) ?? 0) + hits);
  }
  return [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, count).map(([name, hits]) => `${((100 * hits) / total).toFixed(1).padStart(5)} %  ${name}`);
}

export async function runImapBench(): Promise<void> {
  for (const bin of [DOVECOT, DOVEADM]) if (!existsSync(bin)) throw new Error(`${bin} is missing: apt-get install dovecot-imapd (the daemon need not run)`);
  const gc = gcFunction();
  const bench = await startBenchGateway('imap');
  const { gateway, db } = bench;
  const dovecotDir = mkdtempSync(join(tmpdir(), 'lnmp-bench-dovecot-'));
  const clients = clientProcess();
  let dovecot: Dovecot | undefined;
  const results: Record<string, Result> = {};
  try {
    dovecot = await startDovecot(dovecotDir);
    const g = { port: gateway.imapsPort, user: GATEWAY_USER, pass: PASSWORD };
    const d = { port: dovecot.port, user: DOVECOT_USER, pass: PASSWORD };

    // Setup. The user's KDF is cheap (N=1024) so that 1,000 logins measure IMAP, not scrypt.
    const { deliverMs, rewrapMs, meanBytes } = await seedMailbox(db, { address: GATEWAY_USER, password: PASSWORD, count: MESSAGES });
    let t = performance.now();
    await clients.call({ job: 'fill', ...d, count: MESSAGES, connections: 8 });
    const dovecotFillMs = performance.now() - t;
    console.log(`imap benchmark: Node ${process.version}, Dovecot ${spawnSync(DOVECOT, ['--version']).stdout.toString().trim()}, IMAPS (implicit TLS) on loopback for both, ${MESSAGES} messages (mean ${(meanBytes / 1024).toFixed(2)} KiB), clients in a child process`);
    console.log(`setup: gateway deliver ${MESSAGES} ${(deliverMs / 1000).toFixed(1)} s (re-wrap alongside) + the rest of the re-wrap ${(rewrapMs / 1000).toFixed(1)} s; Dovecot (maildir) APPEND over 8 connections ${(dovecotFillMs / 1000).toFixed(1)} s`);

    // Latency: each command REPEATS times on one connection per server.
    await clients.call({ job: 'open', ...g });
    await clients.call({ job: 'open', ...d });
    const session = PROFILE ? new Session() : undefined;
    if (session) {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 200 });
    }
    console.log(`\n${'command'.padEnd(28)} ${'gateway p50/p99 (first)'.padStart(30)} ${'Dovecot p50/p99 (first)'.padStart(30)}  ratio p50  target`);
    for (const op of LATENCY) {
      if (session) await session.post('Profiler.start');
      const gr = await clients.call<Repeated>({ job: 'repeat', port: g.port, command: op.command, repeats: REPEATS, ...('keep' in op ? { keep: op.keep } : {}) });
      const profile = session ? (await session.post('Profiler.stop')).profile : undefined;
      const dr = await clients.call<Repeated>({ job: 'repeat', port: d.port, command: op.command, repeats: REPEATS, ...('keep' in op ? { keep: op.keep } : {}) });
      for (const [who, r] of [['gateway', gr], ['Dovecot', dr]] as const) {
        if (!op.expect(r)) throw new Error(`${who} answered ${op.command} unexpectedly: ${r.untagged} untagged, ${r.kept.join(' | ').slice(0, 200)}`);
      }
      const gs = [...gr.ms].sort((a, b) => a - b);
      const ds = [...dr.ms].sort((a, b) => a - b);
      const [g50, g99, d50, d99] = [percentile(gs, 50), percentile(gs, 99), percentile(ds, 50), percentile(ds, 99)];
      results[`${op.key}_p50_ms`] = { value: g50, unit: 'ms', dovecot: d50, ratio: g50 / d50, ...(op.target ? { target: `≤ ${op.target}`, met: g99 <= op.target } : {}) };
      results[`${op.key}_p99_ms`] = { value: g99, unit: 'ms', dovecot: d99, ratio: g99 / d99 };
      results[`${op.key}_first_ms`] = { value: gr.ms[0]!, unit: 'ms', dovecot: dr.ms[0]! };
      const cell = (p50: number, p99: number, first: number) => `${p50.toFixed(1)} / ${p99.toFixed(1)} (${first.toFixed(0)}) ms`;
      console.log(`${op.command.padEnd(28)} ${cell(g50, g99, gr.ms[0]!).padStart(30)} ${cell(d50, d99, dr.ms[0]!).padStart(30)}  ${(g50 / d50).toFixed(2).padStart(9)}  ${op.target ? `≤ ${op.target} ms: ${g99 <= op.target ? 'met' : 'NOT met'} (p99)` : ''}`);
      if (profile) {
        writeFileSync(join(tmpdir(), `lnmp-imap-${op.key}.cpuprofile`), JSON.stringify(profile));
        for (const line of topFunctions(profile, 12)) console.log(`    ${line}`);
      }
    }
    await clients.call({ job: 'close', port: g.port });
    await clients.call({ job: 'close', port: d.port });

    // Mixed load.
    const mixed: Record<string, Mixed> = {};
    for (const [who, s] of [['gateway', g], ['Dovecot', d]] as const) {
      if (session && who === 'gateway') await session.post('Profiler.start');
      mixed[who] = await clients.call<Mixed>({ job: 'mixed', ...s, clients: MIXED_CLIENTS, seconds: MIXED_SECONDS, messages: MESSAGES });
      if (session && who === 'gateway') {
        const { profile } = await session.post('Profiler.stop');
        writeFileSync(join(tmpdir(), 'lnmp-imap-mixed.cpuprofile'), JSON.stringify(profile));
        console.log('mixed load, gateway profile:');
        for (const line of topFunctions(profile, 12)) console.log(`    ${line}`);
      }
    }
    session?.disconnect();
    const rate = (m: Mixed) => m.ops / m.seconds;
    const gm = mixed['gateway']!;
    const dm = mixed['Dovecot']!;
    results['mixed_ops_per_s'] = { value: rate(gm), unit: 'ops/s', dovecot: rate(dm), ratio: rate(gm) / rate(dm), target: '≥ 0.8× Dovecot', met: rate(gm) >= 0.8 * rate(dm) };
    console.log(`\nmixed load, ${MIXED_CLIENTS} clients, ${MIXED_SECONDS} s: gateway ${fmt(rate(gm))} ops/s (${gm.cycles} cycles), Dovecot ${fmt(rate(dm))} ops/s (${dm.cycles} cycles), ratio ${(rate(gm) / rate(dm)).toFixed(2)} (target ≥ 0.8: ${rate(gm) >= 0.8 * rate(dm) ? 'met' : 'NOT met'})`);
    for (const kind of Object.keys(gm.byKind)) {
      const a = gm.byKind[kind]!;
      const b = dm.byKind[kind];
      console.log(`  ${kind.padEnd(18)} gateway p50 ${a.p50.toFixed(1).padStart(6)} ms p99 ${a.p99.toFixed(1).padStart(6)} ms   Dovecot p50 ${(b?.p50 ?? 0).toFixed(1).padStart(6)} ms p99 ${(b?.p99 ?? 0).toFixed(1).padStart(6)} ms`);
    }

    // Idle connections: 1,000 logins that SELECT INBOX and IDLE.
    await settle(gc);
    const before = process.memoryUsage();
    t = performance.now();
    await clients.call({ job: 'idle', ...g, count: IDLE_CONNECTIONS, concurrency: 20 });
    const gatewayOpenS = (performance.now() - t) / 1000;
    await settle(gc);
    const after = process.memoryUsage();
    await clients.call({ job: 'drop-idle' });
    const dBefore = dovecotMemory(dovecot.masterPid);
    t = performance.now();
    await clients.call({ job: 'idle', ...d, count: IDLE_CONNECTIONS, concurrency: 20 });
    const dovecotOpenS = (performance.now() - t) / 1000;
    await new Promise((r) => setTimeout(r, 1000));
    const dAfter = dovecotMemory(dovecot.masterPid);
    await clients.call({ job: 'drop-idle' });
    const perConn = (bytes: number) => bytes / IDLE_CONNECTIONS / 1024;
    const gRss = perConn(after.rss - before.rss);
    const gHeap = perConn(after.heapUsed - before.heapUsed);
    const gExternal = perConn(after.external - before.external);
    const dPss = (dAfter.pssKb - dBefore.pssKb) / IDLE_CONNECTIONS;
    const dRss = (dAfter.rssKb - dBefore.rssKb) / IDLE_CONNECTIONS;
    results['idle_rss_kib_per_connection'] = { value: gRss, unit: 'KiB', dovecot: dPss, ratio: gRss / dPss, target: '≤ 100 KB', met: gRss * 1.024 <= 100 };
    results['idle_heap_kib_per_connection'] = { value: gHeap, unit: 'KiB' };
    results['idle_dovecot_rss_sum_kib_per_connection'] = { value: dRss, unit: 'KiB' };
    console.log(`\n${IDLE_CONNECTIONS} connections logged in, INBOX selected, IDLE (opened in ${gatewayOpenS.toFixed(1)} s / ${dovecotOpenS.toFixed(1)} s):`);
    console.log(`  gateway: RSS +${fmt(gRss)} KiB per connection (heap +${fmt(gHeap)} KiB, external +${fmt(gExternal)} KiB), target ≤ 100 KB: ${gRss * 1.024 <= 100 ? 'met' : 'NOT met'}`);
    console.log(`  Dovecot: PSS +${fmt(dPss)} KiB per connection (RSS summed over processes +${fmt(dRss)} KiB; ${dAfter.processes - dBefore.processes} more processes), ratio gateway RSS / Dovecot PSS ${(gRss / dPss).toFixed(2)}`);
  } finally {
    clients.stop();
    dovecot?.stop();
    await bench.close();
    rmSync(dovecotDir, { recursive: true, force: true });
  }
  console.log(JSON.stringify({ bench: 'imap', node: process.version, transport: 'imaps', results: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, { ...v, value: Math.round(v.value * 100) / 100, ...(v.dovecot !== undefined ? { dovecot: Math.round(v.dovecot * 100) / 100 } : {}), ...(v.ratio !== undefined ? { ratio: Math.round(v.ratio * 1000) / 1000 } : {}) }])) }));
}
