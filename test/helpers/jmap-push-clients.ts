// JMAP push clients for tests: an event stream read with Node's fetch and parsed as the WHATWG
// EventSource would (RFC 8620 §7.3), and a JMAP WebSocket (RFC 8887); each queues what arrives.
import { WebSocket } from 'ws';
import { PUSH_READY_COMMENT } from '../../gateway/jmap/eventsource.js';

export interface SseEvent {
  readonly event: string;
  readonly data: unknown;
}

export interface EventStream {
  readonly status: number;
  /** The response's Content-Type. */
  readonly type: string | null;
  /** The next event (comments skipped), or undefined when the stream ended. */
  next(): Promise<SseEvent | undefined>;
  /** Resolves at the `: ready` comment: from then on every change is pushed. */
  ready(): Promise<void>;
  /** The events received and not yet taken. */
  pending(): number;
  close(): void;
}

/** GET `url` (an eventsource URL with its query) with `authorization` (none when undefined). */
export async function openEventStream(url: string, authorization: string | undefined): Promise<EventStream> {
  const abort = new AbortController();
  const response = await fetch(url, { headers: authorization ? { authorization } : {}, signal: abort.signal });
  const queue: (SseEvent | undefined)[] = [];
  let wake = (): void => {};
  let sawReady = (): void => {};
  const ready = new Promise<void>((resolve) => (sawReady = resolve));
  void (async () => {
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const chunk = await reader.read().catch(() => ({ done: true as const, value: undefined }));
      if (chunk.done) break;
      buffer += decoder.decode(chunk.value, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end).split('\n');
        buffer = buffer.slice(end + 2);
        const name = block.find((l) => l.startsWith('event: '))?.slice(7);
        const data = block.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
        if (name !== undefined) queue.push({ event: name, data: JSON.parse(data) as unknown });
        else if (block.includes(`: ${PUSH_READY_COMMENT}`)) sawReady();
      }
      wake();
    }
    queue.push(undefined);
    wake();
  })();
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    async next() {
      while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      return queue.shift();
    },
    ready: () => ready,
    pending: () => queue.length,
    close: () => abort.abort(),
  };
}

export type SocketMessage = Record<string, unknown>;

/** What a Request uses when not told: JMAP core and mail. */
const DEFAULT_USING = ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail'];

export interface JmapSocket {
  readonly ws: WebSocket;
  send(message: unknown): void;
  /** The next message from the server, parsed. */
  next(): Promise<SocketMessage>;
  /** Sends a Request with this id and waits for the message answering it (other messages stay queued); `using` is core and mail unless told. */
  request(id: string, methodCalls: unknown[], using?: string[]): Promise<SocketMessage>;
  /** The messages received and not yet taken. */
  pending(): number;
  /** Resolves with the close code and reason once the connection is closed. */
  readonly closed: Promise<{ code: number; reason: string }>;
}

/** A JMAP WebSocket at `url` (ws:...) with subprotocol jmap and `authorization`, open. */
export async function openJmapSocket(url: string, authorization: string): Promise<JmapSocket> {
  const ws = new WebSocket(url, ['jmap'], { headers: { authorization } });
  const queue: SocketMessage[] = [];
  let wake = (): void => {};
  ws.on('message', (data) => {
    queue.push(JSON.parse(String(data)) as SocketMessage);
    wake();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const take = async (match: (m: SocketMessage) => boolean): Promise<SocketMessage> => {
    for (;;) {
      const at = queue.findIndex(match);
      if (at >= 0) return queue.splice(at, 1)[0]!;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  };
  const socket: JmapSocket = {
    ws,
    closed,
    send: (message) => ws.send(typeof message === 'string' ? message : JSON.stringify(message)),
    next: () => take(() => true),
    async request(id, methodCalls, using = DEFAULT_USING) {
      socket.send({ '@type': 'Request', id, using, methodCalls });
      return take((m) => m['requestId'] === id);
    },
    pending: () => queue.length,
  };
  return socket;
}
