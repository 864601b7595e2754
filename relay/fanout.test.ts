import { describe, expect, it } from 'vitest';
import { MAX_NOTICE_CHARS, parseNotice, parseNotices } from './fanout.js';

const key = 'ab'.repeat(32);
const notice = { v: 1, origin: '0123456789abcdef', id: 'cd'.repeat(32), from: key, to: [key], kind: 1, timestamp: 1_800_000_000 };

describe('parseNotice', () => {
  it('accepts a notice and returns its routing fields', () => {
    expect(parseNotice(JSON.stringify(notice))).toEqual({ ok: true, notice });
  });

  it.each([
    ['x'.repeat(MAX_NOTICE_CHARS + 1), `longer than ${MAX_NOTICE_CHARS} characters`],
    ['{', 'not JSON'],
    [JSON.stringify({ ...notice, v: 2 }), 'v: Invalid input: expected 1'],
    [JSON.stringify({ ...notice, origin: 'me' }), 'origin: Invalid string: must match pattern /^[0-9a-f]{16}$/'],
    [JSON.stringify({ ...notice, to: [] }), 'to: Too small: expected array to have >=1 items'],
    [JSON.stringify({ ...notice, envelope: {} }), 'notice: Unrecognized key: "envelope"'],
  ])('refuses %s: %s', (payload, reason) => {
    expect(parseNotice(payload)).toEqual({ ok: false, reason });
  });
});

describe('parseNotices', () => {
  it('reads one notice per line and refuses each bad line on its own', () => {
    const second = { ...notice, id: 'ef'.repeat(32) };
    expect(parseNotices(`${JSON.stringify(notice)}\n{\n${JSON.stringify(second)}`)).toEqual([
      { ok: true, notice },
      { ok: false, reason: 'not JSON' },
      { ok: true, notice: second },
    ]);
  });

  it('refuses a payload over MAX_NOTICE_CHARS whole', () => {
    const line = JSON.stringify(notice);
    const lines = Array.from({ length: Math.ceil(MAX_NOTICE_CHARS / line.length) + 1 }, () => line);
    expect(parseNotices(lines.join('\n'))).toEqual([{ ok: false, reason: `longer than ${MAX_NOTICE_CHARS} characters` }]);
  });
});
