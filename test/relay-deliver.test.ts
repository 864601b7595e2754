// The relay's delivery hook (a gateway's own users): what the publisher sees when the
// recipient holds the envelope for postage, when the hook fails for now, and when it refuses
// for good; in each case the exact frames, and nothing stored that the recipient did not get.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostageInvoice } from '../relay/context.js';
import { RelayError } from '../relay/errors.js';
import { openTestDb, type TestDb } from './helpers/databases.js';
import { envelope, identity, startTestRelay, TestClient } from './helpers/relay-client.js';

let t: TestDb;
let relay: Awaited<ReturnType<typeof startTestRelay>>;
let hook: () => Promise<readonly PostageInvoice[]> = async () => [];
const clients: TestClient[] = [];
const alice = identity('deliver-alice');
const bob = identity('deliver-bob');

async function connect(): Promise<TestClient> {
  const c = await TestClient.connect(relay.url);
  clients.push(c);
  return c;
}

beforeAll(async () => {
  t = await openTestDb('postgres');
  relay = await startTestRelay(t.db, { deliver: () => hook() });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await relay?.close();
  await t?.dispose();
});

describe('the delivery hook', () => {
  it('answers a held envelope with an INVOICE (purpose postage, pay page) before the OK', async () => {
    const invoice = { bolt11: 'lnbcrt1000n1ptest', amount: 100, expiresAt: 1_800_086_400, url: 'http://127.0.0.1:8080/pay/abc' };
    hook = async () => [invoice];
    const c = await connect();
    const m = envelope(alice, [bob], { body: 'held' });
    expect(await c.request({ type: 'PUBLISH', message: m })).toEqual({ type: 'INVOICE', ref: m.id, purpose: 'postage', ...invoice });
    expect(await c.next()).toEqual({ type: 'OK', command: 'PUBLISH', ref: m.id });
  });

  it('refuses with error: when the recipient cannot take it now, stores nothing, and takes the retry', async () => {
    hook = async () => {
      throw new Error('database down');
    };
    const c = await connect();
    const m = envelope(alice, [bob], { body: 'retry me' });
    expect(await c.request({ type: 'PUBLISH', message: m })).toEqual({
      type: 'ERROR', command: 'PUBLISH', ref: m.id, reason: 'error: the recipient could not take the envelope now; publish it again later',
    });
    hook = async () => [];
    // Not stored by the failed attempt: the retry is accepted, not a duplicate.
    expect(await c.request({ type: 'PUBLISH', message: m })).toEqual({ type: 'OK', command: 'PUBLISH', ref: m.id });
  });

  it('passes a permanent refusal through with its own reason', async () => {
    hook = async () => {
      throw new RelayError('invalid', 'the recipient cannot store this envelope: too big');
    };
    const c = await connect();
    const m = envelope(alice, [bob], { body: 'too big' });
    expect(await c.request({ type: 'PUBLISH', message: m })).toEqual({ type: 'ERROR', command: 'PUBLISH', ref: m.id, reason: 'invalid: the recipient cannot store this envelope: too big' });
  });
});
