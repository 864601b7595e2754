// Talks to an admin socket at the line level, as a client outside the gateway's code would.
import { createConnection } from 'node:net';

/** Sends `text` on one connection and resolves with the first `count` reply lines, parsed. */
export function exchange(path: string, text: string, count: number, timeoutMs = 10_000): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let buffered = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`fewer than ${count} replies within ${timeoutMs} ms: ${buffered}`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(text));
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n').slice(0, -1);
      if (lines.length >= count) {
        clearTimeout(timer);
        socket.end();
        resolve(lines.slice(0, count).map((line) => JSON.parse(line) as unknown));
      }
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
