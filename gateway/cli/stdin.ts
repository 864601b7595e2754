// Standard input for commands that take secrets: whole lines from a pipe (`--password-stdin`),
// or a prompt on the terminal that does not echo what is typed. Secrets never come from argv,
// where other users can read them in the process list.
import { CliError, EXIT } from './errors.js';

/** Longest line read from stdin, in bytes: passwords have at most 1024 characters. */
export const MAX_STDIN_LINE_BYTES = 16 * 1024;

export interface CliStdin {
  /** Whether stdin is a terminal (a person can be prompted). */
  readonly isTTY: boolean;
  /** The next line without its line ending; undefined at the end of input. */
  readLine(): Promise<string | undefined>;
  /** Prompts on the terminal and reads a line without echoing it. Only when `isTTY`. */
  readHidden(prompt: string): Promise<string>;
}

/** The parts of process.stdin this needs; a fake stands in for it under test. */
export interface StdinStream {
  readonly isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
  setEncoding(encoding: BufferEncoding): unknown;
  on(event: 'data', listener: (chunk: string) => void): unknown;
  on(event: 'end' | 'close', listener: () => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  pause(): unknown;
  resume(): unknown;
}

const CTRL_C = '\u0003';
const CTRL_D = '\u0004';
const BACKSPACE = /^[\b\u007f]$/;

/** `open` is called on first use, so commands that never read stdin leave it untouched. */
export function streamStdin(open: () => StdinStream, promptOut: (text: string) => void): CliStdin {
  let stream: StdinStream | undefined;
  const input = (): StdinStream => (stream ??= open());
  let buffered = '';
  let ended = false;
  let started = false;
  let wake: (() => void) | undefined;

  const start = () => {
    if (started) return;
    started = true;
    const stdin = input();
    stdin.setEncoding('utf8');
    const notify = () => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    stdin.on('data', (chunk) => {
      buffered += chunk;
      notify();
    });
    const finish = () => {
      ended = true;
      notify();
    };
    stdin.on('end', finish);
    stdin.on('close', finish);
    stdin.on('error', finish);
  };
  /** Waits for more input; false at the end. */
  const more = async (): Promise<boolean> => {
    if (ended) return false;
    input().resume();
    await new Promise<void>((resolve) => (wake = resolve));
    input().pause();
    return true;
  };
  const tooLong = () => new CliError(`a line on stdin is longer than ${MAX_STDIN_LINE_BYTES} bytes`, EXIT.usage);

  return {
    get isTTY() {
      return input().isTTY === true;
    },
    async readLine() {
      start();
      for (;;) {
        const newline = buffered.indexOf('\n');
        if (newline !== -1) {
          const line = buffered.slice(0, newline);
          buffered = buffered.slice(newline + 1);
          if (Buffer.byteLength(line) > MAX_STDIN_LINE_BYTES) throw tooLong();
          return line.replace(/\r$/, '');
        }
        if (Buffer.byteLength(buffered) > MAX_STDIN_LINE_BYTES) throw tooLong();
        if (!(await more())) {
          if (buffered === '') return undefined;
          const line = buffered;
          buffered = '';
          return line.replace(/\r$/, '');
        }
      }
    },
    async readHidden(prompt) {
      start();
      promptOut(prompt);
      input().setRawMode?.(true);
      try {
        let typed = '';
        for (;;) {
          while (buffered === '') {
            if (!(await more())) throw new CliError('cancelled: end of input', EXIT.failure);
          }
          // In raw mode each chunk is what was typed or pasted; code points, not UTF-16 units.
          const chars = [...buffered];
          buffered = '';
          for (let i = 0; i < chars.length; i++) {
            const c = chars[i]!;
            if (c === '\r' || c === '\n') {
              buffered = chars.slice(i + 1).join('');
              return typed;
            }
            if (c === CTRL_C) throw new CliError('cancelled', EXIT.failure);
            if (c === CTRL_D) {
              if (typed === '') throw new CliError('cancelled: end of input', EXIT.failure);
              continue;
            }
            if (BACKSPACE.test(c)) typed = [...typed].slice(0, -1).join('');
            else if (c >= ' ') typed += c;
            if (Buffer.byteLength(typed) > MAX_STDIN_LINE_BYTES) throw tooLong();
          }
        }
      } finally {
        input().setRawMode?.(false);
        promptOut('\n');
      }
    },
  };
}
