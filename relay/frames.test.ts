import { describe, expect, it } from 'vitest';
import { decodeClientFrame, FrameError, RelayFrameSchema, frames } from './frames.js';

const KEY = 'ab'.repeat(32);

describe('client frames', () => {
  it.each([
    ['{"type":"SUB","sub":"s1","filter":{"to":["' + KEY + '"]}}', { type: 'SUB', sub: 's1', filter: { to: [KEY] } }],
    ['{"type":"UNSUB","sub":"s1"}', { type: 'UNSUB', sub: 's1' }],
    [
      '{"type":"QUERY","sub":"q","filter":{"from":["' + KEY + '"],"kinds":[1,2],"since":1,"until":2,"limit":10}}',
      { type: 'QUERY', sub: 'q', filter: { from: [KEY], kinds: [1, 2], since: 1, until: 2, limit: 10 } },
    ],
    ['{"type":"PUBLISH","message":{"any":"thing"}}', { type: 'PUBLISH', message: { any: 'thing' } }],
  ])('%s parses', (text, value) => {
    expect(decodeClientFrame(text)).toEqual(value);
  });

  it.each([
    ['', 'invalid: frame is not JSON', {}],
    ['null', 'invalid: frame must be a JSON object with a string "type"', {}],
    ['{"type":"sub","sub":"s"}', 'invalid: unknown frame type "sub"', {}],
    ['{"type":"OK","command":"SUB","ref":"x"}', 'invalid: unknown frame type "OK"', {}],
    ['{"type":"SUB","sub":"s","filter":{"to":[]}}', 'invalid: SUB: filter.to: Too small: expected array to have >=1 items', { command: 'SUB', ref: 's' }],
    ['{"type":"SUB","sub":"s","filter":{"limit":0,"to":["' + KEY + '"]}}', 'invalid: SUB: filter.limit: Too small: expected number to be >=1', { command: 'SUB', ref: 's' }],
    ['{"type":"SUB","sub":"a b","filter":{}}', 'invalid: SUB: sub: expected 1-64 printable ASCII characters', { command: 'SUB' }],
    ['{"type":"QUERY","sub":"q","filter":{"author":"x"}}', 'invalid: QUERY: filter: Unrecognized key: "author"', { command: 'QUERY', ref: 'q' }],
  ])('%s → %s', (text, reason, context) => {
    let err: unknown;
    try {
      decodeClientFrame(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FrameError);
    expect((err as FrameError).message).toBe(reason);
    expect((err as FrameError).context).toEqual(context);
  });
});

describe('relay frames', () => {
  it('every builder produces a frame its schema accepts', () => {
    const built = [
      frames.challenge(KEY),
      frames.msg('s', { id: KEY }),
      frames.eose('s'),
      frames.ok('PUBLISH', KEY),
      frames.error('invalid: x', { command: 'SUB', ref: 's' }),
      frames.error('invalid: frame is not JSON'),
      frames.notice('slow-consumer: x'),
      frames.invoice({ ref: KEY, bolt11: 'lnbc1', amount: 10, expiresAt: 1 }),
    ];
    for (const f of built) expect(RelayFrameSchema.parse(f)).toEqual(f);
    expect(frames.error('invalid: x')).toEqual({ type: 'ERROR', reason: 'invalid: x' });
  });
});
