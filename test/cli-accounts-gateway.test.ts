// Account commands as processes on embedded PGlite while `lnmp-gateway start` holds the
// data directory, which it creates from nothing as `npm start` does: the commands go through
// the gateway's admin socket, the gateway sees their changes, the socket survives a
// malformed line, and after the gateway stops the commands open the same database themselves.
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountCommandTests, FIRST_RUN_TIMEOUT_MS, run } from './helpers/account-commands.js';
import { exchange } from './helpers/admin-socket.js';
import { assertBuilt, spawnCli, waitForExit, watchLog, type CliResult } from './helpers/cli-process.js';

let root: string;
let dataDir: string;
let gateway: ChildProcessWithoutNullStreams;
let log: ReturnType<typeof watchLog>;
let exited: Promise<CliResult>;

beforeAll(async () => {
  assertBuilt();
  root = mkdtempSync(join(tmpdir(), 'lnmp-cli-gw-'));
  dataDir = join(root, 'data');
  gateway = spawnCli(['start'], { LNMP_HTTP_PORT: '0', LNMP_SMTP_PORT: '0', LNMP_SUBMISSION_PORT: '0', LNMP_IMAP_PORT: '0', LNMP_IMAPS_PORT: '0', LNMP_RELAY_PORT: '0', LNMP_DATA_DIR: dataDir });
  log = watchLog(gateway);
  exited = waitForExit(gateway, 10 * FIRST_RUN_TIMEOUT_MS);
  await log.waitFor((e) => e.msg === 'listening' && e.service === 'admin', FIRST_RUN_TIMEOUT_MS);
  await log.waitFor((e) => e.msg === 'listening' && e.service === 'http', FIRST_RUN_TIMEOUT_MS);
}, FIRST_RUN_TIMEOUT_MS + 10_000);

afterAll(async () => {
  if (gateway.exitCode === null) {
    gateway.kill('SIGTERM');
    await exited.catch(() => {});
  }
  rmSync(root, { recursive: true, force: true });
});

const socket = () => join(dataDir, 'admin.sock');

describe('account commands on PGlite through a running gateway', () => {
  const ctx = { env: () => ({ LNMP_DATA_DIR: dataDir }), domain: 'gateway.example.test' };
  const { created } = accountCommandTests(ctx);

  it('went through the admin socket: the gateway logged every request', () => {
    const requests = log.entries.filter((e) => e.msg === 'admin request');
    expect(requests).toContainEqual(expect.objectContaining({ service: 'admin', op: 'domain.add', ok: true }));
    expect(requests).toContainEqual(expect.objectContaining({ service: 'admin', op: 'user.add', ok: true }));
    expect(requests).toContainEqual(expect.objectContaining({ service: 'admin', op: 'user.add', ok: false, code: 'user_exists' }));
    expect(requests).toContainEqual(expect.objectContaining({ service: 'admin', op: 'user.list', ok: true }));
    // No password reaches the log.
    expect(JSON.stringify(log.entries)).not.toContain('correct horse');
  });

  it('the gateway sees the user and hosts the demo domain', async () => {
    const [users, domains] = (await exchange(socket(), '{"id":1,"op":"user.list"}\n{"id":"d","op":"domain.list","args":{}}\n', 2)) as Array<{
      id: unknown;
      ok: boolean;
      result: Array<Record<string, unknown>>;
    }>;
    expect(users).toMatchObject({ id: 1, ok: true });
    expect(users!.result).toContainEqual(expect.objectContaining({ address: created().address, lnmpAddress: created().lnmpAddress, publicKey: created().publicKey }));
    expect(domains).toMatchObject({ id: 'd', ok: true });
    expect(domains!.result.map((d) => d['name'])).toEqual(expect.arrayContaining(['example.test', ctx.domain]));
  });

  it('answers a malformed line with an error reply and keeps serving', async () => {
    const replies = await exchange(socket(), '{"id":1,"op":\n{"id":2,"op":"user.remove"}\n{"id":3,"op":"domain.list"}\n', 3);
    expect(replies[0]).toEqual({ id: null, ok: false, error: { code: 'bad_request', message: 'the request is not valid JSON' } });
    expect(replies[1]).toMatchObject({ id: 2, ok: false, error: { code: 'unknown_op' } });
    expect(replies[2]).toMatchObject({ id: 3, ok: true });
    const healthy = await run(ctx, ['domain', 'list', '--json']);
    expect(healthy.code).toBe(0);
  });

  it('keeps its files owner-only, removes the socket on stop, and the commands then open the same database', { timeout: FIRST_RUN_TIMEOUT_MS }, async () => {
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dataDir, 'pglite')).mode & 0o777).toBe(0o700);
    expect(statSync(socket()).mode & 0o777).toBe(0o600);
    gateway.kill('SIGTERM');
    const result = await exited;
    expect(result.code).toBe(0);
    expect(existsSync(socket())).toBe(false);

    const list = await run(ctx, ['user', 'list', '--json']);
    expect(list.stderr).toBe('');
    expect(JSON.parse(list.stdout)).toContainEqual(expect.objectContaining({ lnmpAddress: created().lnmpAddress }));
  });
});
