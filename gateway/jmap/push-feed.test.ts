// The StateChange feed on the real services (PostgreSQL, the in-process notifier): a lone
// delivery is reported with the state it made; a burst of 100 deliveries from 10 writers is
// gathered into at most one StateChange per coalescing window per client, the last one at the
// final state; a stopped feed reports nothing more.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UnlockedAccount } from '../../services/unlocked-account.js';
import { openJmapGateway, PASSWORD, type JmapGateway } from '../../test/helpers/jmap-gateway.js';
import { createLogger } from '../log.js';
import { followStateChanges, PUSH_COALESCE_MS, PUSH_TYPES, type ChangedStates } from './push-feed.js';

let g: JmapGateway;
let alice: UnlockedAccount;
let counter = 0;
const logger = createLogger({ level: 'error', write: () => {} });

beforeAll(async () => {
  g = await openJmapGateway();
  alice = await g.accounts.authenticate('alice@example.test', PASSWORD);
});

afterAll(async () => {
  alice.lock();
  await g.dispose();
});

async function deliver(): Promise<void> {
  const n = ++counter;
  await g.messages.deliver({ userId: alice.userId, raw: Buffer.from(`From: bob@example.test\r\nSubject: Feed ${n}\r\nMessage-ID: <feed${n}@example.test>\r\n\r\nHello.\r\n`) });
}

/** What a delivery changes, at that state. */
const mail = (modseq: number) => ({ Email: String(modseq), Mailbox: String(modseq), Thread: String(modseq) });

const currentModseq = async () => (await g.messages.changesSince(alice, Number.MAX_SAFE_INTEGER)).modseq;

/** A feed of every type with the given window, recording what it reports. */
async function follow(coalesceMs?: number) {
  const seen: Array<{ states: ChangedStates; modseq: number }> = [];
  let wake = (): void => {};
  const feed = followStateChanges(alice, { notifier: g.notifier, messages: g.messages, logger, ...(coalesceMs === undefined ? {} : { coalesceMs }) }, {
    types: new Set(PUSH_TYPES),
    onChange: (states, modseq) => {
      seen.push({ states, modseq });
      wake();
    },
    onError: (err) => {
      throw err;
    },
  });
  await feed.ready;
  /** Resolves once a StateChange at `modseq` (or later) was reported. */
  const reached = async (modseq: number) => {
    while (!seen.some((s) => s.modseq >= modseq)) await new Promise<void>((resolve) => (wake = resolve));
  };
  return { seen, feed, reached };
}

describe('the StateChange feed', () => {
  it('reports a lone delivery as Email, Mailbox and Thread at the state it made', async () => {
    const { seen, feed, reached } = await follow();
    await deliver();
    const delivered = performance.now();
    const modseq = await currentModseq();
    await reached(modseq);
    console.log(`feed: StateChange ${(performance.now() - delivered).toFixed(1)} ms after deliver() returned (window ${PUSH_COALESCE_MS} ms)`);
    expect(seen).toEqual([{ states: mail(modseq), modseq }]);
    feed.stop();
  });

  it('gathers a burst of 100 deliveries into at most one StateChange per window, ending at the final state', async () => {
    const windowMs = 200;
    const clients = [await follow(windowMs), await follow(windowMs), await follow()];
    const started = performance.now();
    let left = 100;
    await Promise.all(Array.from({ length: 10 }, async () => {
      while (left-- > 0) await deliver();
    }));
    const final = await currentModseq();
    for (const c of clients) await c.reached(final);
    const elapsed = performance.now() - started;
    const counts = clients.map((c) => c.seen.length);
    console.log(`feed: 100 deliveries in ${elapsed.toFixed(0)} ms → StateChanges per client: ${counts.join(', ')} (windows ${windowMs}, ${windowMs}, ${PUSH_COALESCE_MS} ms)`);
    for (const [i, c] of clients.entries()) {
      const window = i < 2 ? windowMs : PUSH_COALESCE_MS;
      // One at once, then at most one per window: a flush begins no sooner than a window after the last began.
      expect(c.seen.length).toBeLessThanOrEqual(1 + Math.ceil(elapsed / window));
      expect(c.seen.length).toBeLessThan(100);
      expect(c.seen.at(-1)).toEqual({ states: mail(final), modseq: final });
      // States only move forward.
      expect(c.seen.map((s) => s.modseq)).toEqual([...c.seen.map((s) => s.modseq)].sort((a, b) => a - b));
      c.feed.stop();
    }
  });

  it('a stopped feed reports nothing more', async () => {
    const { seen, feed } = await follow();
    const witness = await follow();
    feed.stop();
    await deliver();
    await witness.reached(await currentModseq());
    expect(seen).toEqual([]);
    witness.feed.stop();
  });
});
