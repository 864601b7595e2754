// The client side of `npm run bench -- imap`, run in a child process (fork) so that its CPU
// and memory are not counted as the in-process gateway's. A minimal IMAP client over TLS sends
// the same bytes to the gateway and to Dovecot and reads to the tagged reply, skipping
// literals, without parsing the responses. Also the generator of the benchmark's messages.
import { connect, type TLSSocket } from 'node:tls';

/** The word put in 1 % of the bodies (and nowhere else) for UID SEARCH TEXT. */
export const SEARCH_WORD = 'quokka';

const FIRST = ['Alice', 'Bruno', 'Chen', 'Dalia', 'Emeka', 'Fatima', 'Gustav', 'Hana', 'Ivan', 'Julia', 'Kofi', 'Lena', 'Mateo', 'Nadia', 'Oscar', 'Priya', 'Quentin', 'Rosa', 'Sven', 'Tariq'];
const LAST = ['Andersen', 'Barros', 'Costa', 'Dubois', 'Eriksen', 'Fischer', 'Garcia', 'Haddad', 'Ito', 'Jensen', 'Kowalski', 'Larsen', 'Moreau', 'Novak', 'Okafor'];
const DOMAINS = ['example.org', 'mail.example.net', 'lists.example.com', 'corp.example', 'news.example.info'];
const WORDS = (
  'the of and to in is was for on that with as by at from this have not are but be they which one had all were when there can more if out so about what up its into than them only other new some could time these two may then do first any my now such like our over man me even most made after also did many before must through back years where much your way well down should because each just those people how too little state good very make world still own see men work long get here between both life being under never day same another know while last might us great old year off come since against go came right used take three'
).split(' ');

/** A deterministic PRNG per message (mulberry32), so both servers get identical bytes. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function paragraph(r: () => number, bytes: number, word?: string): string {
  const words: string[] = [];
  let length = 0;
  while (length < bytes) {
    const w = WORDS[Math.floor(r() * WORDS.length)]!;
    words.push(w);
    length += w.length + 1;
  }
  if (word) words.splice(Math.floor(words.length / 2), 0, word);
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line.length + w.length > 72) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  lines.push(line);
  return lines.join('\r\n');
}

/**
 * Message `i` of the mailbox: about 4 KiB (2.9–5.4 KiB), one of 300 senders, subjects from a
 * word list (a fifth are replies), 30 % multipart/alternative with a plain and an HTML part;
 * every hundredth body holds SEARCH_WORD.
 */
export function benchMessage(i: number): Buffer {
  const r = random(i + 1);
  const first = FIRST[Math.floor(r() * FIRST.length)]!;
  const last = LAST[Math.floor(r() * LAST.length)]!;
  const domain = DOMAINS[Math.floor(r() * DOMAINS.length)]!;
  const subjectWords = paragraph(r, 15 + Math.floor(r() * 40)).replace(/\r\n/g, ' ');
  const subject = (r() < 0.2 ? 'Re: ' : '') + subjectWords[0]!.toUpperCase() + subjectWords.slice(1);
  const date = new Date(Date.UTC(2026, 0, 1) + i * 3_600_000).toUTCString().replace('GMT', '+0000');
  const word = i % 100 === 0 ? SEARCH_WORD : undefined;
  const bodyBytes = 2400 + Math.floor(r() * 2600);
  const head = [
    `Return-Path: <${first.toLowerCase()}@${domain}>`,
    `Received: from mx.${domain} (mx.${domain} [192.0.2.${i % 250}]) by mx.bench.test with ESMTPS id ${i.toString(36)}; ${date}`,
    `Date: ${date}`,
    `From: ${first} ${last} <${first.toLowerCase()}.${last.toLowerCase()}@${domain}>`,
    'To: Bench User <bench@bench.test>',
    `Subject: ${subject}`,
    `Message-ID: <${i}.${Math.floor(r() * 1e9).toString(36)}@${domain}>`,
    'MIME-Version: 1.0',
  ];
  let body: string;
  if (r() < 0.3) {
    const text = paragraph(r, bodyBytes / 2 - 60, word);
    const boundary = `=_b${i}`;
    head.push(`Content-Type: multipart/alternative; boundary="${boundary}"`);
    body = [
      `--${boundary}`, 'Content-Type: text/plain; charset=us-ascii', '', text,
      `--${boundary}`, 'Content-Type: text/html; charset=us-ascii', '', `<html><body><p>${text}</p></body></html>`,
      `--${boundary}--`, '',
    ].join('\r\n');
  } else {
    head.push('Content-Type: text/plain; charset=us-ascii');
    body = paragraph(r, bodyBytes, word) + '\r\n';
  }
  return Buffer.from(`${head.join('\r\n')}\r\n\r\n${body}`, 'latin1');
}

export interface Reply {
  status: string;
  /** The tagged line. */
  text: string;
  /** Untagged responses read before it. */
  untagged: number;
  /** The untagged lines that matched `keep`. */
  kept: string[];
}

interface Waiter {
  tag: string;
  keep?: RegExp;
  reply: Reply;
  resolve: (reply: Reply) => void;
  reject: (err: Error) => void;
  onContinue?: () => void;
}

const CRLF = Buffer.from('\r\n');

/** One IMAP connection that runs one command at a time. */
export class RawImap {
  readonly #socket: TLSSocket;
  #buf: Buffer = Buffer.alloc(0);
  #tag = 0;
  #waiter: Waiter | undefined;
  #greeted: () => void = () => {};
  #failed: Error | undefined;

  private constructor(socket: TLSSocket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err) => this.#fail(err));
    socket.on('close', () => this.#fail(new Error('connection closed')));
  }

  static async open(port: number): Promise<RawImap> {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false });
    const client = new RawImap(socket);
    await new Promise<void>((resolve, reject) => {
      client.#greeted = resolve;
      socket.once('error', reject);
    });
    return client;
  }

  static async login(port: number, user: string, pass: string): Promise<RawImap> {
    const client = await RawImap.open(port);
    const r = await client.command(`LOGIN ${quote(user)} ${quote(pass)}`);
    if (r.status !== 'OK') throw new Error(`LOGIN: ${r.text}`);
    return client;
  }

  command(line: string, opts: { literal?: Uint8Array; keep?: RegExp } = {}): Promise<Reply> {
    if (this.#failed) return Promise.reject(this.#failed);
    if (this.#waiter) return Promise.reject(new Error('one command at a time'));
    const tag = `A${++this.#tag}`;
    return new Promise<Reply>((resolve, reject) => {
      const waiter: Waiter = { tag, reply: { status: '', text: '', untagged: 0, kept: [] }, resolve, reject };
      if (opts.keep) waiter.keep = opts.keep;
      this.#waiter = waiter;
      if (opts.literal) {
        const literal = opts.literal;
        waiter.onContinue = () => this.#socket.write(Buffer.concat([literal, CRLF]));
        this.#socket.write(`${tag} ${line} {${literal.length}}\r\n`);
      } else this.#socket.write(`${tag} ${line}\r\n`);
    });
  }

  /** Selects INBOX and starts IDLE; resolves at the server's continuation. */
  async idle(): Promise<void> {
    const r = await this.command('SELECT INBOX');
    if (r.status !== 'OK') throw new Error(`SELECT: ${r.text}`);
    const tag = `A${++this.#tag}`;
    await new Promise<void>((resolve, reject) => {
      this.#waiter = { tag, reply: { status: '', text: '', untagged: 0, kept: [] }, resolve: () => {}, reject, onContinue: () => {
        this.#waiter = undefined;
        resolve();
      } };
      this.#socket.write(`${tag} IDLE\r\n`);
    });
  }

  close(): void {
    this.#failed ??= new Error('closed');
    this.#socket.destroy();
  }

  #fail(err: Error): void {
    this.#failed ??= err;
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.reject(err);
  }

  #onData(chunk: Buffer): void {
    this.#buf = this.#buf.length > 0 ? Buffer.concat([this.#buf, chunk]) : chunk;
    const buf = this.#buf;
    let start = 0;
    let scan = 0;
    for (;;) {
      const crlf = buf.indexOf(CRLF, scan);
      if (crlf === -1) break;
      const literal = literalLength(buf, scan, crlf);
      if (literal !== undefined) {
        if (crlf + 2 + literal > buf.length) break;
        scan = crlf + 2 + literal;
        continue;
      }
      this.#response(buf, start, crlf);
      start = scan = crlf + 2;
    }
    this.#buf = start === buf.length ? Buffer.alloc(0) : buf.subarray(start);
  }

  #response(buf: Buffer, start: number, end: number): void {
    const head = buf.toString('latin1', start, Math.min(end, start + 48));
    const w = this.#waiter;
    if (head.startsWith('* ')) {
      if (!w) {
        // The greeting, or an update while idling.
        this.#greeted();
        return;
      }
      w.reply.untagged++;
      if (w.keep && w.keep.test(head)) w.reply.kept.push(buf.toString('latin1', start, end));
    } else if (head.startsWith('+')) {
      w?.onContinue?.();
    } else if (w && head.startsWith(`${w.tag} `)) {
      const text = buf.toString('latin1', start, end);
      w.reply.text = text;
      w.reply.status = text.slice(w.tag.length + 1).split(' ', 1)[0]!;
      this.#waiter = undefined;
      w.resolve(w.reply);
    }
  }
}

/** The n of a line ending in `{n}` or `{n+}`, else undefined. */
function literalLength(buf: Buffer, from: number, crlf: number): number | undefined {
  if (buf[crlf - 1] !== 0x7d) return undefined;
  const open = buf.lastIndexOf(0x7b, crlf - 1);
  if (open < from || crlf - open > 16) return undefined;
  const n = Number(buf.toString('latin1', open + 1, crlf - 1).replace(/\+$/, ''));
  return Number.isSafeInteger(n) ? n : undefined;
}

function quote(s: string): string {
  return `"${s.replace(/["\\]/g, '\\$&')}"`;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

// ---- Jobs the benchmark process sends over IPC ----

export type Job =
  | { job: 'fill'; port: number; user: string; pass: string; count: number; connections: number }
  | { job: 'open'; port: number; user: string; pass: string }
  | { job: 'repeat'; port: number; command: string; repeats: number; keep?: string }
  | { job: 'close'; port: number }
  | { job: 'mixed'; port: number; user: string; pass: string; clients: number; seconds: number; messages: number }
  | { job: 'idle'; port: number; user: string; pass: string; count: number; concurrency: number }
  | { job: 'drop-idle' };

const sessions = new Map<number, RawImap>();
let idlers: RawImap[] = [];

async function fill(port: number, user: string, pass: string, count: number, connections: number): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: connections }, async () => {
    const c = await RawImap.login(port, user, pass);
    while (next < count) {
      const r = await c.command('APPEND INBOX', { literal: benchMessage(next++) });
      if (r.status !== 'OK') throw new Error(`APPEND: ${r.text}`);
    }
    await c.command('LOGOUT');
    c.close();
  }));
}

async function repeat(port: number, command: string, repeats: number, keep?: string): Promise<{ ms: number[]; untagged: number; kept: string[] }> {
  const c = sessions.get(port);
  if (!c) throw new Error(`no session on ${port}`);
  const ms: number[] = [];
  let last: Reply | undefined;
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    last = await c.command(command, keep ? { keep: new RegExp(keep) } : {});
    ms.push(performance.now() - start);
    if (last.status !== 'OK') throw new Error(`${command}: ${last.text}`);
  }
  return { ms, untagged: last!.untagged, kept: last!.kept };
}

/**
 * 20 clients on the same mailbox, each repeating one fixed cycle of ten commands with its own
 * seeded choice of UIDs: SELECT; two 50-message flag listings; two single-message body
 * fetches, each followed by a flag change; an APPEND of a 4 KiB message that the client then
 * marks \Deleted and removes with UID EXPUNGE (so the mailbox keeps its size).
 */
async function mixed(port: number, user: string, pass: string, clients: number, seconds: number, messages: number): Promise<{ ops: number; seconds: number; cycles: number; byKind: Record<string, { count: number; p50: number; p99: number }> }> {
  const conns = await Promise.all(Array.from({ length: clients }, () => RawImap.login(port, user, pass)));
  const times: Record<string, number[]> = {};
  let ops = 0;
  let cycles = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(conns.map(async (c, k) => {
    const r = random(1000 + k);
    const uid = () => 1 + Math.floor(r() * (messages - 50));
    const run = async (kind: string, line: string, literal?: Uint8Array): Promise<Reply> => {
      const t = performance.now();
      const reply = await c.command(line, literal ? { literal } : {});
      (times[kind] ??= []).push(performance.now() - t);
      if (reply.status !== 'OK') throw new Error(`${line}: ${reply.text}`);
      ops++;
      return reply;
    };
    while (performance.now() < end) {
      await run('select', 'SELECT INBOX');
      for (const flag of ['\\Seen', '\\Flagged']) {
        const a = uid();
        await run('fetch flags (50)', `UID FETCH ${a}:${a + 49} (UID FLAGS)`);
        const b = uid();
        await run('fetch body', `UID FETCH ${b} (UID FLAGS BODY.PEEK[])`);
        await run('store', `UID STORE ${b} +FLAGS (${flag})`);
      }
      const appended = await run('append', 'APPEND INBOX', benchMessage(Math.floor(r() * messages)));
      const m = /\[APPENDUID \d+ (\d+)\]/.exec(appended.text);
      if (!m) throw new Error(`APPEND without APPENDUID: ${appended.text}`);
      await run('store', `UID STORE ${m[1]} +FLAGS.SILENT (\\Deleted)`);
      await run('expunge', `UID EXPUNGE ${m[1]}`);
      cycles++;
    }
  }));
  const elapsed = (performance.now() - start) / 1000;
  for (const c of conns) c.close();
  const byKind = Object.fromEntries(Object.entries(times).map(([kind, t]) => {
    const sorted = t.sort((a, b) => a - b);
    return [kind, { count: t.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99) }];
  }));
  return { ops, seconds: elapsed, cycles, byKind };
}

async function idle(port: number, user: string, pass: string, count: number, concurrency: number): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      next++;
      const c = await RawImap.login(port, user, pass);
      await c.idle();
      idlers.push(c);
    }
  }));
}

async function handle(job: Job): Promise<unknown> {
  switch (job.job) {
    case 'fill':
      return fill(job.port, job.user, job.pass, job.count, job.connections);
    case 'open': {
      const c = await RawImap.login(job.port, job.user, job.pass);
      sessions.set(job.port, c);
      return undefined;
    }
    case 'repeat':
      return repeat(job.port, job.command, job.repeats, job.keep);
    case 'close':
      sessions.get(job.port)?.close();
      sessions.delete(job.port);
      return undefined;
    case 'mixed':
      return mixed(job.port, job.user, job.pass, job.clients, job.seconds, job.messages);
    case 'idle':
      return idle(job.port, job.user, job.pass, job.count, job.concurrency);
    case 'drop-idle':
      for (const c of idlers) c.close();
      idlers = [];
      return undefined;
  }
}

if (process.send && process.argv[2] === '--imap-bench-clients') {
  process.on('message', (msg: { id: number; job: Job }) => {
    handle(msg.job).then(
      (result) => process.send!({ id: msg.id, result }),
      (err: unknown) => process.send!({ id: msg.id, error: err instanceof Error ? err.message : String(err) }),
    );
  });
}
