// Message-ID handling: header value → ids, ids → header, and the thread rule, as tables.
import { describe, expect, it } from 'vitest';
import { formatMessageId, parseMessageIds, threadIdsOf } from './message-ids.js';
import { truncateChars, truncateUtf8 } from './truncate.js';

describe('parseMessageIds', () => {
  it.each<[string | string[] | undefined, string[]]>([
    [undefined, []],
    ['<A@B.example>', ['a@b.example']],
    ['<r1@x> <r2@x>\r\n <r3@x>', ['r1@x', 'r2@x', 'r3@x']],
    [['<r1@x>', '<r2@x>'], ['r1@x', 'r2@x']],
    ['bare@x', ['bare@x']],
    ['<abc@lnmp.invalid>', ['abc']],
    ['<>', []],
  ])('%j → %j', (value, ids) => {
    expect(parseMessageIds(value)).toEqual(ids);
  });
});

describe('formatMessageId', () => {
  it.each<[string, string | undefined]>([
    ['x@example.org', '<x@example.org>'],
    ['<x@example.org>', '<x@example.org>'],
    ['a'.repeat(64), `<${'a'.repeat(64)}@lnmp.invalid>`],
    ['', undefined],
    ['has space', undefined],
    ['tab\there', undefined],
    ['ünicode@x', undefined],
    ['a>b', undefined],
  ])('%j → %j', (id, header) => {
    expect(formatMessageId(id)).toBe(header);
  });
});

describe('threadIdsOf', () => {
  it('uses References first, then In-Reply-To, then Message-ID', () => {
    expect(threadIdsOf({ messageId: '<m@x>', inReplyTo: '<p@x>', references: ['<r@x>', '<p@x>'] })).toEqual({ threadId: 'r@x', replyTo: 'p@x' });
    expect(threadIdsOf({ messageId: '<m@x>', inReplyTo: '<p@x>' })).toEqual({ threadId: 'p@x', replyTo: 'p@x' });
    expect(threadIdsOf({ messageId: '<m@x>' })).toEqual({ threadId: 'm@x' });
    expect(threadIdsOf({})).toEqual({});
  });
});

describe('truncation', () => {
  it('never leaves half a surrogate pair', () => {
    expect(truncateChars('ab🎉', 3)).toBe('ab');
    expect(truncateChars('ab🎉', 4)).toBe('ab🎉');
    expect(truncateUtf8('aé🎉', 4)).toBe('aé');
    expect(truncateUtf8('aé🎉', 7)).toBe('aé🎉');
  });
});
