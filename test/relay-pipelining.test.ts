// PUBLISH frames that follow one another on a connection are handled together (up to
// PIPELINED_PUBLISHES), and every answer still comes in the order of the frames; any other
// frame waits for the PUBLISHes before it. The relay fee hook, held open by the test, shows
// which PUBLISHes are being handled at once.
import { describe, expect, it } from 'vitest';
import type { VerifiedMessage } from '../core/envelope.js';
import { PIPELINED_PUBLISHES } from '../relay/connection.js';
import type { AdmitHook } from '../relay/context.js';
import { asStored, envelope, identity, relaysOnPostgres } from './helpers/relay-client.js';

const t = relaysOnPostgres();

const alice = identity('pipeline-alice');
const bob = identity('pipeline-bob');

/** An admission hook that holds each envelope until the test releases it. */
function gate() {
  const held = new Map<string, () => void>();
  const admitted: string[] = [];
  const admit: AdmitHook = (m) =>
    new Promise((resolve) => {
      admitted.push(m.id);
      held.set(m.id, () => resolve({ accept: true }));
    });
  return {
    admit,
    admitted,
    release: (m: VerifiedMessage) => held.get(m.id)!(),
    /** Waits until `count` envelopes have reached the hook. */
    async reached(count: number) {
      for (let i = 0; i < 400 && admitted.length < count; i++) await new Promise((r) => setTimeout(r, 5));
      expect(admitted.length).toBe(count);
    },
  };
}

async function setUp(admit?: AdmitHook) {
  const relay = await t.relay(admit ? { admit } : {});
  return { relay, c: await t.connect(relay.url) };
}

const ok = (m: VerifiedMessage) => ({ type: 'OK', command: 'PUBLISH', ref: m.id });

describe('PUBLISH pipelining on one connection', () => {
  it('handles consecutive PUBLISHes at once and answers in their order when a later one finishes first', async () => {
    const g = gate();
    const { c } = await setUp(g.admit);
    const [m1, m2, m3] = [envelope(alice, [bob]), envelope(alice, [bob]), envelope(alice, [bob])];
    for (const m of [m1, m2, m3]) c.send({ type: 'PUBLISH', message: m });
    // All three are being handled before any is answered.
    await g.reached(3);
    g.release(m3);
    g.release(m2);
    await new Promise((r) => setTimeout(r, 50));
    // m2 and m3 are stored, but their OKs wait for m1's.
    expect((await t.db.query<{ id: string }>('SELECT id FROM relay_messages WHERE id = ANY($1::text[]) ORDER BY id', [[m1.id, m2.id, m3.id]])).map((r) => r.id)).toEqual([m2.id, m3.id].sort());
    g.release(m1);
    expect([await c.next(), await c.next(), await c.next()]).toEqual([ok(m1), ok(m2), ok(m3)]);
  });

  it(`handles at most ${PIPELINED_PUBLISHES} at once; the rest wait their turn`, async () => {
    const g = gate();
    const { c } = await setUp(g.admit);
    const all = Array.from({ length: PIPELINED_PUBLISHES + 4 }, () => envelope(alice, [bob]));
    for (const m of all) c.send({ type: 'PUBLISH', message: m });
    await g.reached(PIPELINED_PUBLISHES);
    await new Promise((r) => setTimeout(r, 50));
    expect(g.admitted).toEqual(all.slice(0, PIPELINED_PUBLISHES).map((m) => m.id));
    // Releasing the first frees one place.
    g.release(all[0]!);
    expect(await c.next()).toEqual(ok(all[0]!));
    await g.reached(PIPELINED_PUBLISHES + 1);
    for (const m of all.slice(1)) {
      await g.reached(Math.min(all.length, all.indexOf(m) + PIPELINED_PUBLISHES));
      g.release(m);
    }
    const answers = [];
    for (let i = 1; i < all.length; i++) answers.push(await c.next());
    expect(answers).toEqual(all.slice(1).map(ok));
  });

  it('a QUERY after a PUBLISH waits for it, so it finds the envelope', async () => {
    const g = gate();
    const { c } = await setUp(g.admit);
    await c.auth(bob);
    const m = envelope(alice, [bob]);
    c.send({ type: 'PUBLISH', message: m });
    c.send({ type: 'QUERY', sub: 'q', filter: { to: [bob.publicKey], ids: [m.id] } });
    await g.reached(1);
    await new Promise((r) => setTimeout(r, 50));
    g.release(m);
    expect(await c.until('EOSE')).toEqual([ok(m), { type: 'MSG', sub: 'q', message: asStored(m) }, { type: 'EOSE', sub: 'q' }]);
  });

  it('answers a bad frame between PUBLISHes in its place, and a repeated id once OK, once duplicate:', async () => {
    const { c } = await setUp();
    const [m1, m2] = [envelope(alice, [bob]), envelope(alice, [bob])];
    c.send({ type: 'PUBLISH', message: m1 });
    c.send('not json');
    c.send({ type: 'PUBLISH', message: m2 });
    c.send({ type: 'PUBLISH', message: m2 });
    c.send({ type: 'PUBLISH', message: { ...m1, signature: '00'.repeat(64) } });
    expect([await c.next(), await c.next(), await c.next(), await c.next(), await c.next()]).toEqual([
      ok(m1),
      { type: 'ERROR', reason: 'invalid: frame is not JSON' },
      ok(m2),
      { type: 'ERROR', command: 'PUBLISH', ref: m2.id, reason: 'duplicate: already stored' },
      { type: 'ERROR', command: 'PUBLISH', ref: m1.id, reason: expect.stringMatching(/^invalid: bad_signature/) as unknown },
    ]);
  });
});
