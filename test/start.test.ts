// `lnmp-gateway start` as a process: it logs JSON lines, serves /healthz on the port it
// reports, opens its admin socket, and exits 0 on SIGTERM or SIGINT, removing the socket;
// startup failures are one line with exit 1 or 2.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, REPO_ROOT, runCliProcess, spawnCli, waitForExit } from './helpers/cli-process.js';
import { createTestSchema, type TestSchema } from './helpers/databases.js';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';

/** How long start-up and shutdown may each take. */
const STEP_TIMEOUT_MS = 10_000;

const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

let dataDir: string;
let schema: TestSchema;
/** The gateway's environment: PostgreSQL starts fast; cli-accounts-gateway.test.ts starts on embedded PGlite. */
let env: Record<string, string>;

beforeAll(async () => {
  assertBuilt();
  dataDir = mkdtempSync(join(tmpdir(), 'lnmp-start-test-'));
  schema = await createTestSchema();
  env = { LNMP_DATA_DIR: dataDir, DATABASE_URL: schema.url, LNMP_SMTP_PORT: '0', LNMP_SUBMISSION_PORT: '0', LNMP_IMAP_PORT: '0', LNMP_IMAPS_PORT: '0', LNMP_RELAY_PORT: '0' };
});

afterAll(async () => {
  rmSync(dataDir, { recursive: true, force: true });
  await schema.dispose();
});

/** Resolves with the port from the first `listening` log line for the HTTP service. */
function listeningPort(child: ChildProcessWithoutNullStreams): Promise<number> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`no "listening" line within ${STEP_TIMEOUT_MS} ms: ${buffered}`)), STEP_TIMEOUT_MS);
    child.stderr.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      for (const line of buffered.split('\n').slice(0, -1)) {
        const entry = JSON.parse(line) as { msg?: string; service?: string; port?: number };
        if (entry.msg === 'listening' && entry.service === 'http' && typeof entry.port === 'number') {
          clearTimeout(timer);
          resolve(entry.port);
        }
      }
    });
    child.on('exit', (code) => reject(new Error(`exited with ${code} before listening: ${buffered}`)));
  });
}

describe.each(['SIGTERM', 'SIGINT'] as const)('lnmp-gateway start, stopped by %s', (signal) => {
  it('serves /healthz and exits 0', async () => {
    const child = spawnCli(['start'], { ...env, LNMP_HTTP_PORT: '0' });
    const exited = waitForExit(child, 2 * STEP_TIMEOUT_MS);
    try {
      const port = await listeningPort(child);
      const base = `http://127.0.0.1:${port}`;

      const health = await fetch(`${base}/healthz`);
      expect(health.status).toBe(200);
      expect(health.headers.get('content-type')).toBe('application/json');
      expect(await health.json()).toEqual({ status: 'ok', version: VERSION });

      const head = await fetch(`${base}/healthz`, { method: 'HEAD' });
      expect(head.status).toBe(200);

      const missing = await fetch(`${base}/no-such-page`);
      expect(missing.status).toBe(404);
      expect(await missing.json()).toEqual({ error: 'not_found' });

      const wrong = await fetch(`${base}/healthz`, { method: 'DELETE' });
      expect(wrong.status).toBe(405);
      expect(wrong.headers.get('allow')).toBe('GET, HEAD');
    } finally {
      child.kill(signal);
    }

    const stoppedBy = Date.now();
    const result = await exited;
    expect(result.code).toBe(0);
    expect(Date.now() - stoppedBy).toBeLessThan(STEP_TIMEOUT_MS);
    expect(existsSync(join(dataDir, 'admin.sock'))).toBe(false);
    const entries = result.stderr.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    // The first start creates the demo account and shows its password once, with what to type
    // into a mail client; later starts print nothing.
    if (signal === 'SIGTERM') {
      expect(result.stdout).toMatch(/^\nDemo account created \(the password is shown only now\):\n {2}address {3}demo@example\.test\n {2}password {2}[A-Za-z0-9_-]{16}\n/);
      expect(result.stdout).toMatch(/^ {2}incoming {2}IMAP {2}127\.0\.0\.1 {2}port [1-9]\d* {2}SSL\/TLS {4}\(or [1-9]\d* STARTTLS\) {2}user demo@example\.test$/m);
      expect(result.stdout).not.toContain('"msg"');
      expect(result.stderr).not.toContain(/password {2}(\S+)/.exec(result.stdout)![1]);
    } else {
      expect(result.stdout).toBe('');
    }
    // The first start on the data directory also hosts the demo domain and generates a certificate and the gateway secret.
    const firstStartOnly = new Set(['domain added', 'self-signed certificate generated', 'gateway secret generated']);
    const lifecycle = entries.filter((e) => !firstStartOnly.has(e['msg'] as string));
    expect(lifecycle.map((e) => [e['msg'], e['service']])).toEqual([
      ['starting', undefined],
      ['listening', 'admin'],
      ['notifier ready', undefined],
      ['listening', 'relay'],
      ['listening', 'http'],
      ['gateway identity', undefined],
      ['lightning backend', 'lightning'],
      ['listening', 'smtp'],
      ['listening', 'submission'],
      ['listening', 'imap'],
      ['listening', 'imaps'],
      ['stopping', undefined],
      ['stopped', undefined],
    ]);
    expect(lifecycle[1]).toMatchObject({ path: join(dataDir, 'admin.sock') });
    expect(lifecycle[7]).toMatchObject({ port: expect.any(Number) as number });
    expect(lifecycle[7]!['port']).toBeGreaterThan(0);
    expect(lifecycle[8]).toMatchObject({ port: expect.any(Number) as number });
    expect(lifecycle[11]).toMatchObject({ level: 'info', signal });
    for (const entry of entries) expect(typeof entry['time']).toBe('string');
  });
});

describe('lnmp-gateway start failures', () => {
  it('exits 2 with one line on invalid configuration', async () => {
    const result = await runCliProcess(['start'], { LNMP_HTTP_PORT: '99999' });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('lnmp-gateway: LNMP_HTTP_PORT (ports.http): expected an integer 0-65535, got "99999"\n');
  });

  it('exits 1 with one line when the HTTP port is taken, leaving no admin socket', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const result = await runCliProcess(['start'], { ...env, LNMP_HTTP_PORT: String(port) });
      expect(result.code).toBe(1);
      const lines = result.stderr.trim().split('\n');
      // Log lines up to the failure, then the error as the one plain line.
      expect(lines.slice(0, -1).map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual(expect.arrayContaining(['starting', 'listening']));
      expect(lines.at(-1)).toBe(`lnmp-gateway: cannot listen on 127.0.0.1:${port} (http): address already in use`);
      expect(existsSync(join(dataDir, 'admin.sock'))).toBe(false);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
