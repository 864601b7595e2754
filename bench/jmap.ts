// `npm run bench -- jmap`: the JMAP front-end of the in-process gateway on a 100k-message
// INBOX (LNMP_BENCH_JMAP_MESSAGES for a quicker run). Measures, over HTTP on loopback, one
// request of Email/query (receivedAt descending, limit 50) + Email/get of those 50 with the
// properties of a message list (p50/p99), against the same request on a 100-message mailbox
// in the same run as the baseline; and push latency from a delivery (MessageService.deliver
// returning, the message committed) to its StateChange, over EventSource and over WebSocket
// (p50/p99). The clients run in this process.
import { WebSocket } from 'ws';
import { PUSH_COALESCE_MS } from '../gateway/jmap/push-feed.js';
import { MessageService } from '../services/message-service.js';
import { systemRng } from '../services/random.js';
import { benchMessage } from './imap-clients.js';
import { seedMailbox, startBenchGateway } from './bench-gateway.js';
import { fmt } from './measure.js';

const MESSAGES = Number(process.env.LNMP_BENCH_JMAP_MESSAGES ?? 100_000);
const BASELINE_MESSAGES = 100;
const QUERY_RUNS = 60;
const PUSH_DELIVERIES = 40;
const TARGET_MS = 100;
const PASSWORD = 'bench-password';
const USER = 'bench@bench.test';
const BASELINE_USER = 'small@bench.test';
const USING = ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail'];
const LIST_PROPERTIES = ['id', 'threadId', 'mailboxIds', 'keywords', 'from', 'subject', 'receivedAt', 'size', 'preview'];

type Result = { value: number; unit: string; baseline?: number; target?: string; met?: boolean };

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
const basic = (address: string) => `Basic ${Buffer.from(`${address}:${PASSWORD}`).toString('base64')}`;

function quantiles(ms: number[]): { p50: number; p99: number } {
  const sorted = [...ms].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

/** POSTs one JMAP request and returns its method responses. */
async function api(base: string, address: string, methodCalls: unknown[]): Promise<[string, Record<string, unknown>, string][]> {
  const response = await fetch(`${base}/jmap/api`, {
    method: 'POST',
    headers: { authorization: basic(address), 'content-type': 'application/json' },
    body: JSON.stringify({ using: USING, methodCalls }),
  });
  if (response.status !== 200) throw new Error(`the API answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { methodResponses: [string, Record<string, unknown>, string][] }).methodResponses;
}

/**
 * The message-list request, `runs` times, of the newest 50 each time or (`paging`) of the next
 * 50 each time, so that no run reads a message an earlier one read; checks that 50 Emails with
 * a preview come back.
 */
async function queryAndGet(base: string, address: string, accountId: string, runs: number, paging = false): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const calls = [
      ['Email/query', { accountId, sort: [{ property: 'receivedAt', isAscending: false }], position: paging ? (i * 50) % (MESSAGES - 49) : 0, limit: 50 }, 'q'],
      ['Email/get', { accountId, '#ids': { resultOf: 'q', name: 'Email/query', path: '/ids' }, properties: LIST_PROPERTIES }, 'g'],
    ];
    const t = performance.now();
    const responses = await api(base, address, calls);
    ms.push(performance.now() - t);
    const list = responses[1]?.[1]['list'] as { preview?: string }[] | undefined;
    if (responses[1]?.[0] !== 'Email/get' || list?.length !== 50 || typeof list[0]?.preview !== 'string') {
      throw new Error(`unexpected answer: ${JSON.stringify(responses).slice(0, 300)}`);
    }
  }
  return ms;
}

/** Something that yields the next StateChange as it arrives. */
interface PushClient {
  next(): Promise<unknown>;
  close(): void;
}

/** A queue of parsed items with one waiter. */
function queue(): { push(item: unknown): void; next(): Promise<unknown> } {
  const items: unknown[] = [];
  let wake = (): void => {};
  return {
    push(item) {
      items.push(item);
      wake();
    },
    async next() {
      while (items.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      return items.shift();
    },
  };
}

/** An EventSource stream of every type, open once the `: ready` comment has arrived. */
async function eventSourceClient(base: string, address: string): Promise<PushClient> {
  const abort = new AbortController();
  const response = await fetch(`${base}/jmap/eventsource?types=*&closeafter=no&ping=0`, { headers: { authorization: basic(address) }, signal: abort.signal });
  const events = queue();
  let ready = (): void => {};
  const started = new Promise<void>((resolve) => (ready = resolve));
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body!) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (block === ': ready') ready();
        else if (block.startsWith('event: state\n')) events.push(JSON.parse(block.slice(block.indexOf('data: ') + 6)));
      }
    }
  })().catch(() => {});
  await started;
  return { next: () => events.next(), close: () => abort.abort() };
}

/** A JMAP WebSocket with push enabled from the account's current state. */
async function webSocketClient(base: string, address: string, accountId: string): Promise<PushClient> {
  const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/jmap/ws`, ['jmap'], { headers: { authorization: basic(address) } });
  const messages = queue();
  ws.on('message', (data) => messages.push(JSON.parse(String(data))));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  ws.send(JSON.stringify({ '@type': 'Request', id: 'state', using: USING, methodCalls: [['Email/get', { accountId, ids: [] }, 's']] }));
  const answer = (await messages.next()) as { methodResponses: [string, { state: string }, string][] };
  ws.send(JSON.stringify({ '@type': 'WebSocketPushEnable', dataTypes: null, pushState: answer.methodResponses[0]![1].state }));
  return { next: () => messages.next(), close: () => ws.close() };
}

/** Delivers `count` messages one at a time; the time from deliver() returning to the StateChange. */
async function pushLatency(client: PushClient, deliver: (i: number) => Promise<void>, count: number, first: number): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < count; i++) {
    await deliver(first + i);
    const t = performance.now();
    const change = (await client.next()) as { '@type'?: string; changed?: Record<string, Record<string, string>> };
    ms.push(performance.now() - t);
    if (change['@type'] !== 'StateChange' || !Object.values(change.changed ?? {})[0]?.['Email']) throw new Error(`unexpected push: ${JSON.stringify(change)}`);
  }
  return ms;
}

export async function runJmapBench(): Promise<void> {
  const bench = await startBenchGateway('jmap');
  const results: Record<string, Result> = {};
  try {
    const { gateway, db } = bench;
    const base = `http://127.0.0.1:${gateway.httpPort}`;
    const big = await seedMailbox(db, { address: USER, password: PASSWORD, count: MESSAGES });
    const small = await seedMailbox(db, { address: BASELINE_USER, password: PASSWORD, count: BASELINE_MESSAGES });
    console.log(`jmap benchmark: Node ${process.version}, HTTP on loopback, clients in this process, ${fmt(MESSAGES)} messages in one INBOX (mean ${(big.meanBytes / 1024).toFixed(2)} KiB)`);
    console.log(`setup: deliver ${fmt(MESSAGES)} (re-wrapped as they arrive) ${(big.deliverMs / 1000).toFixed(1)} s + the rest of the re-wrap ${(big.rewrapMs / 1000).toFixed(1)} s`);

    const accountId = `A${big.userId}`;
    const baselineMs = quantiles(await queryAndGet(base, BASELINE_USER, `A${small.userId}`, QUERY_RUNS));
    const pagedMs = quantiles(await queryAndGet(base, USER, accountId, QUERY_RUNS, true));
    const listMs = await queryAndGet(base, USER, accountId, QUERY_RUNS);
    const list = quantiles(listMs);
    results['query_get_50_p50_ms'] = { value: list.p50, unit: 'ms', baseline: baselineMs.p50, target: `≤ ${TARGET_MS}`, met: list.p50 <= TARGET_MS };
    results['query_get_50_p99_ms'] = { value: list.p99, unit: 'ms', baseline: baselineMs.p99, target: `≤ ${TARGET_MS}`, met: list.p99 <= TARGET_MS };
    results['query_get_50_first_ms'] = { value: listMs[0]!, unit: 'ms' };
    results['query_get_50_new_page_p50_ms'] = { value: pagedMs.p50, unit: 'ms', target: `≤ ${TARGET_MS}`, met: pagedMs.p50 <= TARGET_MS };
    results['query_get_50_new_page_p99_ms'] = { value: pagedMs.p99, unit: 'ms', target: `≤ ${TARGET_MS}`, met: pagedMs.p99 <= TARGET_MS };
    console.log(`\nEmail/query (receivedAt desc, limit 50) + Email/get (${LIST_PROPERTIES.join(', ')}), one request, ${QUERY_RUNS} runs:`);
    console.log(`  ${fmt(MESSAGES)} messages, the next 50 each run: p50 ${pagedMs.p50.toFixed(1)} ms, p99 ${pagedMs.p99.toFixed(1)} ms`);
    console.log(`  ${fmt(MESSAGES)} messages, the newest 50 each run: p50 ${list.p50.toFixed(1)} ms, p99 ${list.p99.toFixed(1)} ms (first ${listMs[0]!.toFixed(0)} ms); ${BASELINE_MESSAGES} messages (baseline): p50 ${baselineMs.p50.toFixed(1)} ms, p99 ${baselineMs.p99.toFixed(1)} ms; target ≤ ${TARGET_MS} ms: ${list.p99 <= TARGET_MS ? 'met' : 'NOT met'} (p99)`);

    // Deliveries publish to the gateway's notifier, as the MX's do.
    const messages = new MessageService(db, { rng: systemRng, notifier: gateway.notifier });
    const deliver = async (i: number) => void (await messages.deliver({ userId: big.userId, raw: benchMessage(MESSAGES + i), internalDate: new Date() }));
    console.log(`\npush: deliver() returning → StateChange received, ${PUSH_DELIVERIES} deliveries one at a time (at most one StateChange per ${PUSH_COALESCE_MS} ms):`);
    const transports = [
      ['eventsource', () => eventSourceClient(base, USER)],
      ['websocket', () => webSocketClient(base, USER, accountId)],
    ] as const;
    for (const [name, open] of transports) {
      const client = await open();
      const q = quantiles(await pushLatency(client, deliver, PUSH_DELIVERIES, name === 'eventsource' ? 0 : PUSH_DELIVERIES));
      client.close();
      results[`push_${name}_p50_ms`] = { value: q.p50, unit: 'ms', target: `≤ ${TARGET_MS}`, met: q.p50 <= TARGET_MS };
      results[`push_${name}_p99_ms`] = { value: q.p99, unit: 'ms', target: `≤ ${TARGET_MS}`, met: q.p99 <= TARGET_MS };
      console.log(`  ${name.padEnd(12)} p50 ${q.p50.toFixed(1)} ms, p99 ${q.p99.toFixed(1)} ms; target ≤ ${TARGET_MS} ms: ${q.p99 <= TARGET_MS ? 'met' : 'NOT met'} (p99)`);
    }
  } finally {
    await bench.close();
  }
  const round = (n: number) => Math.round(n * 100) / 100;
  console.log(JSON.stringify({ bench: 'jmap', node: process.version, messages: MESSAGES, results: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, { ...v, value: round(v.value), ...(v.baseline !== undefined ? { baseline: round(v.baseline) } : {}) }])) }));
}
