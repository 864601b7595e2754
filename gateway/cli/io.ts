// What a command may touch of the outside world, passed in so commands run in-process
// under test with a fake environment, captured output and a stop signal on demand.
import { readFileSync } from 'node:fs';
import { streamStdin, type CliStdin } from './stdin.js';

export interface CliIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly readFile: (path: string) => string;
  /** Lines and hidden prompts from standard input (prompts are written to stderr). */
  readonly stdin: CliStdin;
  /**
   * Starts listening for a stop request (SIGINT or SIGTERM) and resolves with its name.
   * Call it before starting servers so a signal during startup is not lost.
   */
  readonly waitForStop: () => Promise<string>;
}

const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export function processIo(): CliIo {
  return {
    env: process.env,
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    readFile: (path) => readFileSync(path, 'utf8'),
    stdin: streamStdin(() => process.stdin, (text) => void process.stderr.write(text)),
    waitForStop: () =>
      new Promise((resolve) => {
        // Handlers are removed after the first signal, so a second Ctrl-C during a slow
        // shutdown gets Node's default behaviour and ends the process at once.
        const onSignal = (signal: NodeJS.Signals) => {
          for (const name of STOP_SIGNALS) process.off(name, onSignal);
          resolve(signal);
        };
        for (const name of STOP_SIGNALS) process.on(name, onSignal);
      }),
  };
}
