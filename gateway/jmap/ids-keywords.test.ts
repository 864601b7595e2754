// Table tests of the id forms and the flag ⇄ keyword mapping.
import { describe, expect, it } from 'vitest';
import { blobIdOf, emailIdOf, identityIdOf, parseAccountId, parseBlobId, parseEmailId, parseIdentityId, parseMailboxId, parseThreadId, threadIdOf } from './ids.js';
import { flagOf, hiddenFlags, isValidKeyword, keywordsOf } from './keywords.js';
import { parseState } from './state.js';

describe('ids', () => {
  it.each([
    ['E12', 12],
    ['E12-34', undefined],
    ['E012', undefined],
    ['E', undefined],
    ['M12', undefined],
    [12, undefined],
    ['E99999999999999999', undefined],
  ])('parses the Email id %j', (id, expected) => {
    expect(parseEmailId(id)).toEqual(expected);
  });

  it('round-trips and keeps types apart', () => {
    expect([parseEmailId(emailIdOf(9)), parseBlobId(blobIdOf(9)), parseThreadId(threadIdOf(9)), parseIdentityId(identityIdOf(9))]).toEqual([9, 9, 9, 9]);
    expect([parseEmailId('B9'), parseBlobId('E9'), parseThreadId('M9'), parseIdentityId('A9')]).toEqual([undefined, undefined, undefined, undefined]);
    expect([parseMailboxId('M7'), parseMailboxId('A7'), parseAccountId('A7'), parseAccountId('M7')]).toEqual([7, undefined, 7, undefined]);
  });

  it.each([['0', 0], ['42', 42], ['042', undefined], ['-1', undefined], ['', undefined], [3, undefined]])('reads the state %j', (state, expected) => {
    expect(parseState(state)).toBe(expected);
  });
});

describe('keywords', () => {
  it('maps system flags to $ keywords, lowercases the rest and hides \\Deleted', () => {
    expect(keywordsOf(['\\Seen', '\\Flagged', '\\Answered', '\\Draft', '\\Deleted', '$Label1', 'Work'])).toEqual({
      $seen: true, $flagged: true, $answered: true, $draft: true, $label1: true, work: true,
    });
    expect(hiddenFlags(['\\Seen', '\\Deleted', 'x'])).toEqual(['\\Deleted']);
    expect(['$SEEN', '$draft', '$Junk'].map(flagOf)).toEqual(['\\Seen', '\\Draft', '$junk']);
  });

  it.each([['$seen', true], ['a'.repeat(64), true], ['a'.repeat(65), false], ['has space', false], ['(x)', false], ['a/b', false], ['50%', false], ['\\Seen', false], ['', false]])(
    'accepts %j as a keyword: %s',
    (keyword, ok) => {
      expect(isValidKeyword(keyword)).toBe(ok);
    },
  );
});
