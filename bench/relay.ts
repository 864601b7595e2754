// `npm run bench -- relay`: the embedded relay on a real PostgreSQL (DATABASE_URL, default the
// machine's test database, in a fresh schema dropped afterwards), run in child processes
// (bench/relay-process.ts) while this process drives WebSocket clients. Two set-ups: one
// relay process (in-memory counters, no fan-out), and one per core as `workers: 2` runs it
// (node:cluster workers sharing the port, counters and fan-out over Redis). For each: verified
// PUBLISH/s with pre-signed envelopes, fan-out to 1,000 subscribers, and PUBLISH → MSG latency
// at a paced 100 and 1,000 msg/s. The ceiling is core verifyMessage alone, in a tight loop on
// one core (rate and CPU time per call); CPU time per PUBLISH is read from /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { createMessage, verifyMessage } from '../core/envelope.js';
import { identityFromPrivateKey } from '../core/keys.js';
import { systemRng } from '../services/random.js';
import { openPostgres, type Db } from '../storage/db.js';
import { migrate } from '../storage/migrate.js';
import { cpuSecondsWhere, fmt, freePort, measure } from './measure.js';
import { BenchConnection, openMany, percentile, sleep, subscribe } from './relay-clients.js';
import type { RelayProcessEnv } from './relay-process.js';

const URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Set to a directory to write a CPU profile of every relay process (node --cpu-prof). */
const PROFILE_DIR = process.env.RELAY_BENCH_CPU_PROF;
/** Envelopes signed before timing; fewer (RELAY_BENCH_ENVELOPES) for a quick profile, which also shortens the paced run. */
const ENVELOPES = Number(process.env.RELAY_BENCH_ENVELOPES ?? 10_000);
const SENDERS = 20;
const BODY_CHARS = 256;
const PUBLISHERS = 64;
const SUBSCRIBERS = 1_000;
const FANOUT_ROUNDS = 50;
const PACED_RATE = 1_000;
const PACED_SECONDS = 10;
/** Also paced at a rate a busy machine sustains, so the latency seen is not a queue's. */
const LOW_RATE = 100;
const LOW_SECONDS = 5;
const PACED_PUBLISHERS = 4;
const SCRIPT = new globalThis.URL('./relay-process.js', import.meta.url).pathname;
/** Names the relays' PostgreSQL connections, so the CPU of their server processes can be read. */
const APPLICATION = 'lnmp-bench-relay';

interface Result {
  value: number;
  unit: string;
  target?: string;
}

interface Envelopes {
  ids: string[];
  /** PUBLISH frames, serialised before any timing. */
  frames: string[];
}

function signEnvelopes(recipient: string): Envelopes {
  const senders = Array.from({ length: SENDERS }, () => identityFromPrivateKey(systemRng(32)));
  const ids: string[] = [];
  const frames: string[] = [];
  const timestamp = Math.floor(Date.now() / 1000);
  for (let i = 0; i < ENVELOPES; i++) {
    const body = `message ${i} `.padEnd(BODY_CHARS, 'x');
    const m = createMessage({ privateKey: senders[i % SENDERS]!.privateKey, to: [recipient], content: { type: 'text', body }, timestamp }, systemRng);
    ids.push(m.id);
    frames.push(JSON.stringify({ type: 'PUBLISH', message: m }));
  }
  return { ids, frames };
}

async function startRelays(env: RelayProcessEnv): Promise<ChildProcess> {
  const profile = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
  const child = spawn(process.execPath, [...profile, SCRIPT], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the relay did not start within 30 s')), 30_000);
    child.once('exit', (code) => reject(new Error(`the relay process exited with ${code}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      if (!chunk.toString().includes('relay-ready')) return;
      clearTimeout(timer);
      resolve();
    });
  });
  return child;
}

function stopRelays(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** Every envelope published by PUBLISHERS connections, each waiting for its OK before the next. */
async function publishRate(url: string, e: Envelopes): Promise<number> {
  const conns = await openMany(url, PUBLISHERS);
  let next = 0;
  const start = performance.now();
  await Promise.all(
    conns.map(async (c) => {
      while (next < e.frames.length) await c.expectOk(e.frames[next++]!);
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  conns.forEach((c) => c.close());
  return e.frames.length / seconds;
}

/** One envelope at a time to SUBSCRIBERS subscriptions: ms from sending PUBLISH to the last MSG. */
async function fanOut(url: string, e: Envelopes, recipient: ReturnType<typeof identityFromPrivateKey>): Promise<number[]> {
  const subs = await openMany(url, SUBSCRIBERS);
  await Promise.all(subs.map((s) => subscribe(s, recipient)));
  const pub = await BenchConnection.open(url);
  const samples: number[] = [];
  for (let r = 0; r < FANOUT_ROUNDS; r++) {
    const id = e.ids[r]!;
    let remaining = subs.length;
    let last = 0;
    const done = new Promise<void>((resolve) => {
      for (const s of subs) {
        s.onMsg = (text, at) => {
          if (!text.includes(id)) return;
          last = at;
          if (--remaining === 0) resolve();
        };
      }
    });
    const start = performance.now();
    await pub.expectOk(e.frames[r]!);
    await Promise.race([done, sleep(10_000).then(() => Promise.reject(new Error(`${remaining} subscribers did not get the envelope`)))]);
    samples.push(last - start);
  }
  [...subs, pub].forEach((c) => c.close());
  return samples;
}

/**
 * Latencies in ms, by the envelope's place in the sending order (`steady`: those sent after the
 * first second); `ok`: from sending PUBLISH to its OK (verification and the stored row), which
 * tells a slow store from a slow way to the subscriber.
 */
interface Paced {
  readonly all: number[];
  readonly steady: number[];
  readonly ok: number[];
}

/** `rate` envelopes per second for `seconds`: ms from sending PUBLISH to its MSG at one subscriber. */

async function pacedLatency(url: string, e: Envelopes, recipient: ReturnType<typeof identityFromPrivateKey>, rate: number, seconds: number): Promise<Paced> {
  const sub = await BenchConnection.open(url);
  await subscribe(sub, recipient);
  const pubs = await openMany(url, PACED_PUBLISHERS);
  const total = Math.min(rate * seconds, e.ids.length);
  const sentAt = new Map<string, { at: number; index: number }>();
  const latencies: number[] = [];
  const steady: number[] = [];
  const ok: number[] = [];
  sub.onMsg = (text, at) => {
    const id = (JSON.parse(text) as { message: { id: string } }).message.id;
    const sent = sentAt.get(id);
    if (sent === undefined) return;
    latencies.push(at - sent.at);
    if (sent.index >= rate) steady.push(at - sent.at);
  };
  const acks: Array<Promise<unknown>> = [];
  const start = performance.now();
  for (let sent = 0; sent < total; ) {
    const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000));
    for (; sent < due; sent++) {
      const at = performance.now();
      sentAt.set(e.ids[sent]!, { at, index: sent });
      acks.push(pubs[sent % pubs.length]!.expectOk(e.frames[sent]!).then(() => ok.push(performance.now() - at)));
    }
    await sleep(1);
  }
  await Promise.all(acks);
  for (let waited = 0; latencies.length < total && waited < 10_000; waited += 10) await sleep(10);
  if (latencies.length !== total) throw new Error(`${total} envelopes published, ${latencies.length} reached the subscriber`);
  [sub, ...pubs].forEach((c) => c.close());
  return { all: latencies, steady, ok };
}

const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

/** Starts counting CPU seconds of the relay processes and of their PostgreSQL backends; call the result to stop. */
async function cpuOf(db: Db, child: ChildProcess): Promise<() => Promise<{ relay: number; postgres: number }>> {
  const relay = () => cpuSecondsWhere((p) => p.pid === child.pid || p.ppid === child.pid);
  const postgres = async () => {
    const pids = new Set((await db.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()', [APPLICATION])).map((r) => r.pid));
    return cpuSecondsWhere((p) => pids.has(p.pid));
  };
  const before = { relay: relay(), postgres: await postgres() };
  return async () => ({ relay: relay() - before.relay, postgres: (await postgres()) - before.postgres });
}

export async function runRelayBench(): Promise<void> {
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const admin = await openPostgres(URL, { poolSize: 1 });
  await admin.exec(`CREATE SCHEMA ${schema}`);
  const dbUrl = `${URL}${URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}&application_name=${APPLICATION}`;
  let db: Db | undefined;
  try {
    db = await openPostgres(dbUrl, { poolSize: 1 });
    await migrate(db);
    await run(db, dbUrl, schema);
  } finally {
    await db?.close();
    await admin.exec(`DROP SCHEMA ${schema} CASCADE`);
    await admin.close();
  }
}

async function run(db: Db, dbUrl: string, namespace: string): Promise<void> {
  const recipient = identityFromPrivateKey(systemRng(32));
  const signStart = performance.now();
  const e = signEnvelopes(recipient.publicKey);
  // Other processes on the machine change every rate here; the load average says how busy it was.
  console.log(`load average before: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log(`relay benchmark: Node ${process.version}, PostgreSQL ${(await db.query<{ v: string }>("SELECT current_setting('server_version') AS v"))[0]!.v}, ${ENVELOPES} envelopes of ${e.frames[0]!.length} B (a ${BODY_CHARS}-character text, sealed and signed) pre-signed in ${((performance.now() - signStart) / 1000).toFixed(1)} s`);
  const results: Record<string, Result> = {};
  // Printed as each figure is measured.
  const record = (name: string, r: Result) => {
    results[name] = r;
    console.log(`${name.padEnd(58)} ${fmt(r.value).padStart(8)} ${r.unit.padEnd(3)} ${r.target ? `target ${r.target}` : ''}`);
  };
  const plain = e.frames.map((f) => (JSON.parse(f) as { message: unknown }).message);
  const verifyCpu = process.cpuUsage();
  const ceiling = measure((i) => verifyMessage(plain[i % plain.length]));
  record('ceiling: verifyMessage alone, one core', { value: ceiling.perSecond, unit: '/s' });
  // CPU time, unlike the rate, does not depend on what else the machine is running.
  record('  CPU per verifyMessage', { value: cpuMs(process.cpuUsage(verifyCpu)) / (ceiling.ops + 20), unit: 'ms' });

  for (const workers of [1, 2]) {
    const port = await freePort();
    const url = `ws://127.0.0.1:${port}`;
    const label = workers === 1 ? '1 process' : `${workers} workers (cluster, Redis)`;
    const child = await startRelays({ RELAY_DB_URL: dbUrl, RELAY_PORT: String(port), RELAY_WORKERS: String(workers), RELAY_REDIS_URL: workers > 1 ? REDIS : '', RELAY_NAMESPACE: namespace });
    try {
      await db.exec('TRUNCATE relay_messages');
      const cpu = await cpuOf(db, child);
      const clientCpu = process.cpuUsage();
      const rate = await publishRate(url, e);
      const used = await cpu();
      const clients = cpuMs(process.cpuUsage(clientCpu));
      record(`verified PUBLISH/s, ${label}, ${PUBLISHERS} connections`, { value: rate, unit: '/s', ...(workers > 1 ? { target: '≥ 3,000' } : {}) });
      record(`  CPU per PUBLISH, ${label}: relay`, { value: (used.relay * 1000) / ENVELOPES, unit: 'ms' });
      record(`  CPU per PUBLISH, ${label}: PostgreSQL backends`, { value: (used.postgres * 1000) / ENVELOPES, unit: 'ms' });
      record(`  CPU per PUBLISH, ${label}: benchmark clients`, { value: clients / ENVELOPES, unit: 'ms' });
      await db.exec('TRUNCATE relay_messages');
      const fan = await fanOut(url, e, recipient);
      record(`fan-out to ${SUBSCRIBERS} subscribers, ${label}, p50`, { value: percentile(fan, 50), unit: 'ms' });
      record(`fan-out to ${SUBSCRIBERS} subscribers, ${label}, p99`, { value: percentile(fan, 99), unit: 'ms' });
      await db.exec('TRUNCATE relay_messages');
      const low = await pacedLatency(url, e, recipient, LOW_RATE, LOW_SECONDS);
      record(`PUBLISH → MSG at ${LOW_RATE}/s, ${label}, p50`, { value: percentile(low.all, 50), unit: 'ms' });
      record(`PUBLISH → MSG at ${LOW_RATE}/s, ${label}, p99`, { value: percentile(low.all, 99), unit: 'ms' });
      await db.exec('TRUNCATE relay_messages');
      const paced = await pacedLatency(url, e, recipient, PACED_RATE, PACED_SECONDS);
      record(`PUBLISH → MSG at ${PACED_RATE}/s, ${label}, p50`, { value: percentile(paced.all, 50), unit: 'ms' });
      record(`PUBLISH → MSG at ${PACED_RATE}/s, ${label}, p99`, { value: percentile(paced.all, 99), unit: 'ms', target: '≤ 50' });
      // Connections, pools and the cross-process path warm up in the first second; the rest is the steady state.
      record(`PUBLISH → MSG at ${PACED_RATE}/s, ${label}, p99 after the first second`, { value: percentile(paced.steady, 99), unit: 'ms' });
      record(`PUBLISH → MSG at ${PACED_RATE}/s, ${label}, max`, { value: Math.max(...paced.all), unit: 'ms' });
      record(`PUBLISH → OK at ${PACED_RATE}/s, ${label}, p99`, { value: percentile(paced.ok, 99), unit: 'ms' });
    } finally {
      await stopRelays(child);
    }
  }
  const rounded = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, { ...v, value: Math.round(v.value * 100) / 100 }]));
  console.log(JSON.stringify({ bench: 'relay', node: process.version, results: rounded }));
}
