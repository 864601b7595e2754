import { describe, expect, it } from 'vitest';
import { matchRanges, previewSnippet, SNIPPET_PREVIEW_BYTES, subjectSnippet } from './search-snippet.js';

describe('subjectSnippet', () => {
  it('marks every match, case-insensitively, keeping the original case', () => {
    expect(subjectSnippet('Invoice: your INVOICE is ready', ['invoice'])).toBe('<mark>Invoice</mark>: your <mark>INVOICE</mark> is ready');
  });
  it('escapes & < > outside and inside marks', () => {
    expect(subjectSnippet('<b>Tom & Jerry</b> <3', ['tom & j', '<3'])).toBe('&lt;b&gt;<mark>Tom &amp; J</mark>erry&lt;/b&gt; <mark>&lt;3</mark>');
  });
  it('merges overlapping terms into one mark', () => {
    expect(subjectSnippet('abcdef', ['abc', 'cde'])).toBe('<mark>abcde</mark>f');
  });
  it('is null without a match, or without terms', () => {
    expect(subjectSnippet('Hello', ['bye'])).toBeNull();
    expect(subjectSnippet('Hello', [' '])).toBeNull();
  });
  it('maps folded offsets back when folding changes a length', () => {
    // U+0130 folds to two code units ("i̇"); the match after it must still mark "Straße".
    expect(subjectSnippet('İ Straße', ['straße'])).toBe('İ <mark>Straße</mark>');
    expect(matchRanges('😀 café', ['CAFÉ'])).toEqual([[3, 7]]);
  });
});

describe('previewSnippet', () => {
  it('starts a little before the first match, at a word', () => {
    const text = `${'word '.repeat(20)}the needle here`;
    expect(previewSnippet(text, ['needle'])).toBe('word word word word word the <mark>needle</mark> here');
  });
  it('flattens whitespace and is null without a match', () => {
    expect(previewSnippet('a\r\n\r\n  b   needle', ['needle'])).toBe('a b <mark>needle</mark>');
    expect(previewSnippet('nothing', ['needle'])).toBeNull();
  });
  it('stays within 255 octets of UTF-8, never leaving a mark open', () => {
    const text = `needle ${'é&'.repeat(300)} needle`;
    const snippet = previewSnippet(text, ['needle', 'é&é'])!;
    expect(Buffer.byteLength(snippet)).toBeLessThanOrEqual(SNIPPET_PREVIEW_BYTES);
    expect(snippet.startsWith('<mark>needle</mark> <mark>é&amp;é&amp;')).toBe(true);
    expect(snippet.endsWith('</mark>')).toBe(true);
    expect(snippet.split('<mark>').length).toBe(snippet.split('</mark>').length);
  });
});
