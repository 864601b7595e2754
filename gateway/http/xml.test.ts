// Escaping, and the strict reader's answers to well-formed and malformed documents.
import { describe, expect, it } from 'vitest';
import { escapeXml, MAX_XML_DEPTH, parseXml, XmlSyntaxError } from './xml.js';

describe('escapeXml', () => {
  it('escapes the five special characters', () => {
    expect(escapeXml(`a&b<c>d"e'f`)).toBe('a&amp;b&lt;c&gt;d&quot;e&apos;f');
  });
});

describe('parseXml', () => {
  it('reads elements, local names, attributes, references, CDATA and skips comments', () => {
    const root = parseXml(`\uFEFF<?xml version="1.0"?>\n<!-- c --><p:a x='1' y="&lt;&#x41;&#66;"><b>t&amp;<![CDATA[<raw>]]></b><c/><?pi?></p:a>\n`);
    expect(root).toEqual({
      name: 'a',
      attributes: { x: '1', y: '<AB' },
      text: '',
      children: [
        { name: 'b', attributes: {}, children: [], text: 't&<raw>' },
        { name: 'c', attributes: {}, children: [], text: '' },
      ],
    });
  });

  it.each([
    ['', 'expected the root element at offset 0'],
    ['<a>', 'unclosed element a at offset 3'],
    ['<a></b>', 'mismatched end tag for a at offset 6'],
    ['<a/><b/>', 'content after the root element at offset 4'],
    ['<!DOCTYPE a><a/>', 'a DOCTYPE is not accepted at offset 0'],
    ['<a>&unknown;</a>', 'unknown reference &unknown; at offset 3'],
    ['<a>&#0;</a>', 'unknown reference &#0; at offset 3'],
    ['<a>& b</a>', 'unterminated reference at offset 3'],
    ['<a x="1" x="2"/>', 'duplicate attribute x at offset 12'],
    ['<a x="1"y="2"/>', 'expected white space before an attribute at offset 8'],
    ['<a x=1/>', 'expected a quoted attribute value at offset 5'],
    ['<a><!-- x -- y --></a>', '"--" inside a comment at offset 18'],
    ['<a><![CDATA[x</a>', 'unterminated CDATA section at offset 12'],
  ])('refuses %j: %s', (text, message) => {
    expect(() => parseXml(text)).toThrow(new XmlSyntaxError(message));
  });

  it(`refuses nesting deeper than ${MAX_XML_DEPTH}`, () => {
    const deep = `${'<a>'.repeat(MAX_XML_DEPTH + 1)}${'</a>'.repeat(MAX_XML_DEPTH + 1)}`;
    expect(() => parseXml(deep)).toThrow(XmlSyntaxError);
    expect(parseXml(`${'<a>'.repeat(MAX_XML_DEPTH)}${'</a>'.repeat(MAX_XML_DEPTH)}`).name).toBe('a');
  });
});
