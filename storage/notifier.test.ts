// The change notifier, in-process and over a real Redis at 127.0.0.1:6379: delivery to
// every listener of the user exactly once, never synchronously, isolation between users
// and between listeners, unsubscribe, malformed messages, connection failure and close.
import { randomInt, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChangeEvent, Notifier } from './notifier.js';
import { createNotifier } from './notifier.js';
import { NotifierError } from './notifier-errors.js';
import { channelFor, createRedisNotifier } from './notifier-redis.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
const REDIS_NOT_RUNNING =
  'Redis is not running on 127.0.0.1:6379: start it with redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no';

/** How long an event may take to arrive, through Redis included. */
const DELIVERY_TIMEOUT_MS = 1_000;

/** How long a killed subscriber connection may take to come back and resubscribe. */
const RESUBSCRIBE_TIMEOUT_MS = 5_000;

// User ids unique to this run, so concurrent runs against one Redis cannot cross-talk.
const BASE_USER = randomInt(1, 2 ** 40);
let nextUser = 0;
function newUser(): number {
  nextUser += 1;
  return BASE_USER + nextUser;
}

function emailEvent(userId: number, modseq: number): ChangeEvent {
  return { userId, modseq, mailboxId: 7, kind: 'email' };
}

/** A listener that records what it gets and lets a test wait for the n-th call. */
function recorder<T>(name: string) {
  const got: T[] = [];
  let wake: (() => void) | undefined;
  return {
    got,
    listener(value: T): void {
      got.push(value);
      wake?.();
    },
    /** Resolves with everything received once there are at least `count` items. */
    async waitFor(count: number, timeoutMs = DELIVERY_TIMEOUT_MS): Promise<T[]> {
      const deadline = Date.now() + timeoutMs;
      while (got.length < count) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`${name}: expected ${count} within ${timeoutMs} ms, got ${JSON.stringify(got)}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
      }
      return got;
    },
  };
}

/** Everything a test opens, closed after it whether it passed or not. */
const opened: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((item) => item.close()));
});

function track<T extends { close(): Promise<void> }>(item: T): T {
  opened.push(item);
  return item;
}

interface Backend {
  name: string;
  /** Two notifiers as two gateway processes would have; in-process they are one. */
  pair(onError?: (err: Error) => void): Promise<[Notifier, Notifier]>;
}

const memoryBackend: Backend = {
  name: 'in-process notifier',
  async pair(onError) {
    const notifier = track(await createNotifier({ onError: onError ?? failOnError }));
    return [notifier, notifier];
  },
};

const redisBackend: Backend = {
  name: 'Redis notifier',
  async pair(onError) {
    await redisRunning();
    const options = { redisUrl: REDIS_URL, onError: onError ?? failOnError };
    const a = track(await createNotifier(options));
    const b = track(await createNotifier(options));
    return [a, b];
  },
};

function failOnError(err: Error): void {
  throw new Error(`unexpected onError: ${err.message}`, { cause: err });
}

// Checked by every test that needs Redis, so without it each one fails with the
// message (a failed beforeAll would report them as skipped).
let redisCheck: Promise<void> | undefined;
function redisRunning(): Promise<void> {
  redisCheck ??= assertRedisRunning();
  return redisCheck;
}

async function assertRedisRunning(): Promise<void> {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 2_000, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    throw new Error(REDIS_NOT_RUNNING, { cause: err });
  } finally {
    probe.disconnect();
  }
}

describe.each([memoryBackend, redisBackend])('$name', (backend) => {
  it('delivers an event to listeners of the user on every notifier, and the publisher’s own exactly once', async () => {
    const [a, b] = await backend.pair();
    const user = newUser();
    const own = recorder<ChangeEvent>('own listener');
    const remote = recorder<ChangeEvent>('other notifier’s listener');
    await a.subscribe(user, own.listener).ready;
    await b.subscribe(user, remote.listener).ready;

    await a.publish(emailEvent(user, 1));
    expect(await remote.waitFor(1)).toEqual([emailEvent(user, 1)]);
    // A second event as a marker: a duplicate of the first would have arrived before it.
    await a.publish({ userId: user, modseq: 2, kind: 'mailbox' });
    expect(await own.waitFor(2)).toEqual([emailEvent(user, 1), { userId: user, modseq: 2, kind: 'mailbox' }]);
  });

  it('never calls a listener synchronously inside publish', async () => {
    const [a] = await backend.pair();
    const user = newUser();
    const events = recorder<ChangeEvent>('listener');
    await a.subscribe(user, events.listener).ready;
    const publishing = a.publish(emailEvent(user, 1));
    expect(events.got).toEqual([]);
    await publishing;
    await events.waitFor(1);
  });

  it('stops delivering to a listener once it unsubscribes, and keeps delivering to the others', async () => {
    const [a, b] = await backend.pair();
    const user = newUser();
    const leaving = recorder<ChangeEvent>('unsubscribed listener');
    const staying = recorder<ChangeEvent>('remaining listener');
    const unsubscribe = b.subscribe(user, leaving.listener);
    await unsubscribe.ready;
    await b.subscribe(user, staying.listener).ready;

    unsubscribe();
    unsubscribe(); // a second call does nothing
    await a.publish(emailEvent(user, 1));
    await staying.waitFor(1);
    expect(leaving.got).toEqual([]);
  });

  it('gives each subscription of the same function its own unsubscribe', async () => {
    const [a] = await backend.pair();
    const user = newUser();
    const events = recorder<ChangeEvent>('listener');
    const first = a.subscribe(user, events.listener);
    await a.subscribe(user, events.listener).ready;
    await first.ready;
    first();
    await a.publish(emailEvent(user, 1));
    await a.publish(emailEvent(user, 2));
    // Still subscribed once: each event once.
    expect(await events.waitFor(2)).toEqual([emailEvent(user, 1), emailEvent(user, 2)]);
  });

  it('delivers nothing to listeners of another user', async () => {
    const [a, b] = await backend.pair();
    const [user, other] = [newUser(), newUser()];
    const others = recorder<ChangeEvent>('other user’s listener');
    await b.subscribe(other, others.listener).ready;

    await a.publish(emailEvent(user, 1));
    await a.publish(emailEvent(other, 5)); // marker: published after, so delivered after
    expect(await others.waitFor(1)).toEqual([emailEvent(other, 5)]);
  });

  it('reports a throwing listener through onError and still calls the others', async () => {
    const errors = recorder<Error>('onError');
    const [a, b] = await backend.pair(errors.listener);
    const user = newUser();
    const events = recorder<ChangeEvent>('listener after the throwing one');
    await b.subscribe(user, () => {
      throw new Error('boom');
    }).ready;
    await b.subscribe(user, events.listener).ready;

    await a.publish(emailEvent(user, 1));
    await events.waitFor(1);
    const [error] = await errors.waitFor(1);
    expect(error).toBeInstanceOf(NotifierError);
    expect(error).toMatchObject({ code: 'listener_failed', message: `a change listener for user ${user} threw: boom` });
  });

  it('rejects an invalid event or user id with the exact problem', async () => {
    const [a] = await backend.pair();
    await expect(a.publish({ userId: 0, modseq: -1, kind: 'email' })).rejects.toThrow(
      new TypeError('invalid change event: userId: Too small: expected number to be >0; modseq: Too small: expected number to be >=0'),
    );
    expect(() => a.subscribe(1.5, () => undefined)).toThrow(new TypeError('invalid user id: 1.5'));
  });

  it('closes idempotently, then refuses to publish or subscribe', async () => {
    const [a] = await backend.pair();
    const user = newUser();
    const events = recorder<ChangeEvent>('listener');
    a.subscribe(user, events.listener);
    await a.close();
    await a.close();
    await expect(a.publish(emailEvent(user, 1))).rejects.toMatchObject({
      code: 'notifier_closed',
      message: 'cannot publish: the change notifier is closed',
    });
    expect(() => a.subscribe(user, events.listener)).toThrow('cannot subscribe: the change notifier is closed');
    expect(events.got).toEqual([]);
  });
});

describe('Redis notifier over the wire', () => {
  /** A plain client, as any other program on the same Redis would have. */
  async function openRaw(): Promise<Redis> {
    await redisRunning();
    const raw = new Redis(REDIS_URL, { lazyConnect: true });
    await raw.connect();
    track({ close: async () => void (await raw.quit()) });
    return raw;
  }

  it.each([
    ['not json', 'not JSON'],
    ['[1, 2]', '(event): Invalid input: expected object, received array'],
    ['{"userId": USER, "modseq": 1, "kind": "flag"}', 'kind: Invalid option: expected one of "email"|"mailbox"|"thread"|"identity"|"submission"|"vacation"|"postage"'],
    ['{"userId": 1, "modseq": 1, "kind": "email"}', 'userId 1 does not match the channel'],
  ])('drops the malformed message %s, reports it, and still delivers later events', async (template, reason) => {
    const errors = recorder<Error>('onError');
    const [a, b] = await redisBackend.pair(errors.listener);
    const raw = await openRaw();
    const user = newUser();
    const events = recorder<ChangeEvent>('listener');
    await b.subscribe(user, events.listener).ready;

    await raw.publish(channelFor(user), template.replace('USER', String(user)));
    const [error] = await errors.waitFor(1);
    expect(error).toMatchObject({ code: 'payload_invalid', message: `dropped a malformed change event on lnmp:changes:${user}: ${reason}` });

    await a.publish(emailEvent(user, 1));
    expect(await events.waitFor(1)).toEqual([emailEvent(user, 1)]);
  });

  it('drops fields it does not know, so a newer gateway’s events still arrive', async () => {
    const [, b] = await redisBackend.pair();
    const raw = await openRaw();
    const user = newUser();
    const events = recorder<ChangeEvent>('listener');
    await b.subscribe(user, events.listener).ready;
    await raw.publish(channelFor(user), JSON.stringify({ ...emailEvent(user, 3), threadId: 9 }));
    expect(await events.waitFor(1)).toEqual([emailEvent(user, 3)]);
  });

  it('holds a user channel only while the process has listeners for that user', async () => {
    const [a] = await redisBackend.pair();
    const raw = await openRaw();
    const user = newUser();
    const first = a.subscribe(user, () => undefined);
    const second = a.subscribe(user, () => undefined);
    await Promise.all([first.ready, second.ready]);
    expect(await subscriberCount(raw, user)).toBe(1);

    first();
    second();
    await until(async () => (await subscriberCount(raw, user)) === 0, DELIVERY_TIMEOUT_MS, 'UNSUBSCRIBE after the last listener left');
  });

  it('resubscribes after its subscriber connection is killed', async () => {
    const name = `lnmp-notifier-test-${randomUUID()}`;
    const [a] = await redisBackend.pair();
    const raw = await openRaw();
    const b = track(await createRedisNotifier({ url: REDIS_URL, onError: () => undefined, name }));
    const user = newUser();
    const events = recorder<ChangeEvent>('listener');
    await b.subscribe(user, events.listener).ready;

    const killed = await connectionId(raw, `${name}:sub`);
    expect(await raw.client('KILL', 'ID', killed)).toBe(1);
    await until(
      async () => (await connectionId(raw, `${name}:sub`).catch(() => killed)) !== killed && (await subscriberCount(raw, user)) === 1,
      RESUBSCRIBE_TIMEOUT_MS,
      'a new subscriber connection holding the channel',
    );

    await a.publish(emailEvent(user, 1));
    expect(await events.waitFor(1)).toEqual([emailEvent(user, 1)]);
  });

  it('rejects creation with the URL when Redis cannot be reached', async () => {
    await expect(createNotifier({ redisUrl: 'redis://127.0.0.1:1' })).rejects.toThrow(
      new NotifierError(
        'notifier_unavailable',
        'cannot connect to Redis at redis://127.0.0.1:1 for change notifications: connect ECONNREFUSED 127.0.0.1:1',
      ),
    );
  });

  it('masks the password in the URL it names', async () => {
    const failure = createRedisNotifier({ url: 'redis://gw:hunter2@127.0.0.1:1/0', onError: failOnError });
    await expect(failure).rejects.toMatchObject({
      code: 'notifier_unavailable',
      message: 'cannot connect to Redis at redis://gw:********@127.0.0.1:1/0 for change notifications: connect ECONNREFUSED 127.0.0.1:1',
    });
  });

  /** Subscribers to the user's channel across all connections, as Redis counts them. */
  async function subscriberCount(raw: Redis, userId: number): Promise<number> {
    const reply = (await raw.pubsub('NUMSUB', channelFor(userId))) as [string, number];
    return Number(reply[1]);
  }

  /** The CLIENT ID of the connection called `name`; throws if there is none. */
  async function connectionId(raw: Redis, name: string): Promise<string> {
    const list = (await raw.client('LIST')) as string;
    const line = list.split('\n').find((entry) => entry.includes(` name=${name} `));
    const id = line?.match(/^id=(\d+) /)?.[1];
    if (id === undefined) throw new Error(`no connection named ${name}`);
    return id;
  }
});

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
