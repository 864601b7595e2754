// Reading secrets from stdin: lines from a pipe, and a terminal prompt without echo that
// handles backspace, Ctrl-C and Ctrl-D, and always leaves raw mode again.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CliError } from './errors.js';
import { MAX_STDIN_LINE_BYTES, streamStdin } from './stdin.js';

function fake(chunks: string[], tty = false) {
  const stream = Object.assign(new PassThrough(), { isTTY: tty, modes: [] as boolean[], setRawMode: (m: boolean) => void stream.modes.push(m) });
  let prompts = '';
  const stdin = streamStdin(() => stream, (text) => void (prompts += text));
  // Chunks arrive one at a time, as keystrokes would.
  void (async () => {
    for (const chunk of chunks) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      stream.write(chunk);
    }
    stream.end();
  })();
  return { stdin, stream, prompts: () => prompts };
}

describe('readLine', () => {
  it('returns lines without their endings, the last one even without a newline, then undefined', async () => {
    const { stdin } = fake(['pass', 'word1\r\nabandon ', 'about\nlast']);
    expect(stdin.isTTY).toBe(false);
    expect(await stdin.readLine()).toBe('password1');
    expect(await stdin.readLine()).toBe('abandon about');
    expect(await stdin.readLine()).toBe('last');
    expect(await stdin.readLine()).toBeUndefined();
  });

  it('keeps spaces inside a password and reads an empty line as empty', async () => {
    const { stdin } = fake(['  two words  \n\n']);
    expect(await stdin.readLine()).toBe('  two words  ');
    expect(await stdin.readLine()).toBe('');
  });

  it('refuses a line over the limit with exit 2', async () => {
    const { stdin } = fake(['x'.repeat(MAX_STDIN_LINE_BYTES + 1)]);
    await expect(stdin.readLine()).rejects.toEqual(new CliError(`a line on stdin is longer than ${MAX_STDIN_LINE_BYTES} bytes`, 2));
  });
});

describe('readHidden', () => {
  it('reads a line in raw mode without echo, handling backspace, and restores the terminal', async () => {
    const { stdin, stream, prompts } = fake(['s', 'e', 'c', 'x', '\u007f', 'r', 'é', 't', '\r', 'next\r'], true);
    expect(stdin.isTTY).toBe(true);
    expect(await stdin.readHidden('Password: ')).toBe('secrét');
    expect(await stdin.readHidden('Again: ')).toBe('next');
    expect(stream.modes).toEqual([true, false, true, false]);
    expect(prompts()).toBe('Password: \nAgain: \n');
  });

  it('cancels on Ctrl-C and on end of input, leaving raw mode', async () => {
    const c = fake(['ab', '\u0003'], true);
    await expect(c.stdin.readHidden('Password: ')).rejects.toEqual(new CliError('cancelled', 1));
    expect(c.stream.modes).toEqual([true, false]);
    const d = fake(['\u0004'], true);
    await expect(d.stdin.readHidden('Password: ')).rejects.toEqual(new CliError('cancelled: end of input', 1));
    const e = fake(['abc'], true);
    await expect(e.stdin.readHidden('Password: ')).rejects.toEqual(new CliError('cancelled: end of input', 1));
  });

  it('does not open stdin until it is used', () => {
    let opened = false;
    streamStdin(() => {
      opened = true;
      return new PassThrough();
    }, () => {});
    expect(opened).toBe(false);
  });
});
