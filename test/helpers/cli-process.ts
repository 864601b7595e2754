// Runs the built CLI (dist/gateway/cli/main.js) as a child process, as a user would, with
// an environment stripped of the gateway's own variables so the host's settings cannot leak in.
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = fileURLToPath(new URL('../../dist/gateway/cli/main.js', import.meta.url));

/** How long a CLI run that should end quickly may take. */
export const RUN_TIMEOUT_MS = 15_000;

export function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
}

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name.startsWith('LNMP_') || name === 'DATABASE_URL' || name === 'REDIS_URL') continue;
    env[name] = value;
  }
  return { ...env, ...extra };
}

export function spawnCli(args: readonly string[], env: Record<string, string> = {}): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env: cleanEnv(env), stdio: 'pipe' });
}

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Resolves when `child` exits, or rejects after `timeoutMs` (killing it). */
export function waitForExit(child: ChildProcessWithoutNullStreams, timeoutMs = RUN_TIMEOUT_MS): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`CLI did not exit within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export interface RunOptions {
  /** Written to the child's stdin, which is then closed (it is closed empty otherwise). */
  readonly stdin?: string;
  readonly timeoutMs?: number;
}

export function runCliProcess(args: readonly string[], env: Record<string, string> = {}, options: RunOptions = {}): Promise<CliResult> {
  const child = spawnCli(args, env);
  // The child may exit before reading its input; a broken pipe then is expected.
  child.stdin.on('error', () => {});
  child.stdin.end(options.stdin ?? '');
  return waitForExit(child, options.timeoutMs);
}

export interface LogEntry {
  readonly msg?: string;
  readonly service?: string;
  readonly [field: string]: unknown;
}

/**
 * Collects a running child's JSON log lines from stderr; `waitFor` resolves with the first
 * entry (seen so far or later) that matches, and rejects on timeout or exit.
 */
export function watchLog(child: ChildProcessWithoutNullStreams): { entries: LogEntry[]; waitFor(match: (e: LogEntry) => boolean, timeoutMs?: number): Promise<LogEntry> } {
  const entries: LogEntry[] = [];
  const watchers = new Set<() => void>();
  let buffered = '';
  let exited = false;
  child.stderr.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) entries.push(line.startsWith('{') ? (JSON.parse(line) as LogEntry) : { msg: line });
    for (const w of watchers) w();
  });
  child.on('exit', () => {
    exited = true;
    for (const w of watchers) w();
  });
  return {
    entries,
    waitFor(match, timeoutMs = RUN_TIMEOUT_MS) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = entries.find(match);
          if (found) done(() => resolve(found));
          else if (exited) done(() => reject(new Error(`exited before the expected log line: ${JSON.stringify(entries)}`)));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`no expected log line within ${timeoutMs} ms: ${JSON.stringify(entries)}`))), timeoutMs);
        const done = (finish: () => void) => {
          clearTimeout(timer);
          watchers.delete(check);
          finish();
        };
        watchers.add(check);
        check();
      });
    },
  };
}
