// A CliIo for running commands in-process: a fake environment and files, captured
// output, stdin from a string (optionally posing as a terminal) and a stop signal on demand.
import { PassThrough } from 'node:stream';
import type { CliIo } from '../../gateway/cli/io.js';
import { streamStdin } from '../../gateway/cli/stdin.js';

export interface FakeIo extends CliIo {
  readonly out: () => string;
  readonly err: () => string;
  /** Delivers a stop signal to a waiting `start`. */
  readonly stop: (signal?: string) => void;
  /** Raw-mode switches a command made on the fake terminal, in order. */
  readonly rawModes: boolean[];
}

export interface FakeStdin {
  /** What stdin delivers before it ends. */
  readonly text?: string;
  /** Pose as a terminal (prompts allowed; raw mode recorded). */
  readonly tty?: boolean;
}

export function fakeIo(env: Record<string, string> = {}, files: Record<string, string> = {}, stdin: FakeStdin = {}): FakeIo {
  let out = '';
  let err = '';
  let deliver: ((signal: string) => void) | undefined;
  const rawModes: boolean[] = [];
  const openStdin = () => {
    const stream = Object.assign(new PassThrough(), {
      isTTY: stdin.tty === true,
      setRawMode: (mode: boolean) => void rawModes.push(mode),
    });
    stream.end(stdin.text ?? '');
    return stream;
  };
  return {
    env,
    stdout: (text) => void (out += text),
    stderr: (text) => void (err += text),
    readFile: (path) => {
      const text = files[path];
      if (text === undefined) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
      return text;
    },
    stdin: streamStdin(openStdin, (text) => void (err += text)),
    waitForStop: () => new Promise((resolve) => (deliver = resolve)),
    out: () => out,
    err: () => err,
    stop: (signal = 'SIGTERM') => deliver?.(signal),
    rawModes,
  };
}
