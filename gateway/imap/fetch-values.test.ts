// needsHeaderOnly: which FETCH item lists the top-level header (the stored summary) can answer,
// as the engine hands them over (BODY.PEEK is already BODY; path '' is the message itself).
import { describe, expect, it } from 'vitest';
import type { FetchQueryItem } from './engine.js';
import { needsHeaderOnly } from './fetch-values.js';

const item = (name: string, section?: { path: string; type: string; headers?: string[] }, partial?: boolean): FetchQueryItem => ({
  item: name,
  original: {},
  ...(section ?? {}),
  ...(partial ? { partial: { startFrom: 0, maxLength: 20 } } : {}),
});

describe('needsHeaderOnly', () => {
  it.each([
    ['UID FLAGS MODSEQ INTERNALDATE RFC822.SIZE ENVELOPE', [item('uid'), item('flags'), item('modseq'), item('internaldate'), item('rfc822.size'), item('envelope')]],
    ['RFC822.HEADER', [item('rfc822.header')]],
    ['BODY.PEEK[HEADER]', [item('body', { path: '', type: 'header' })]],
    ['BODY[HEADER.FIELDS (From Subject)]', [item('uid'), item('body', { path: '', type: 'header.fields', headers: ['from', 'subject'] })]],
    ['BODY.PEEK[HEADER.FIELDS.NOT (Subject)]<0.20>', [item('body', { path: '', type: 'header.fields.not', headers: ['subject'] }, true)]],
  ])('%s: the header is enough', (_name, query) => {
    expect(needsHeaderOnly(query)).toBe(true);
  });

  it.each([
    ['BODY.PEEK[]', [item('envelope'), item('body', { path: '', type: 'content' })]],
    ['BODY[TEXT]', [item('body', { path: '', type: 'text' })]],
    ['BODY[1.HEADER] (a forwarded message\'s header)', [item('body', { path: '1', type: 'header' })]],
    ['BODY[1.MIME]', [item('body', { path: '1', type: 'mime' })]],
    ['BODY (structure)', [item('body')]],
    ['BODYSTRUCTURE', [item('envelope'), item('bodystructure')]],
    ['RFC822', [item('rfc822')]],
    ['RFC822.TEXT', [item('rfc822.text')]],
    ['BINARY.PEEK[HEADER]', [item('binary', { path: '', type: 'header' })]],
    ['X-GM-MSGID (unknown)', [item('x-gm-msgid')]],
  ])('%s: needs the whole message', (_name, query) => {
    expect(needsHeaderOnly(query)).toBe(false);
  });
});
