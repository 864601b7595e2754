// The metadata-only FETCH lines written as text against the engine's own response for the same
// message: its formatResponse (run on a stand-in connection holding the UID list) compiled by
// its compiler, for every plain item, spellings, flags and keywords, and sequence numbers.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { MessageMeta } from '../../services/message-service.js';
import { compileResponse, type EngineResponse, type FetchQueryItem } from './engine.js';
import { plainFetchLine, plainItemNames } from './fetch-lines.js';
import { UidList } from './uid-list.js';

const require = createRequire(import.meta.url);
const { IMAPConnection } = require('wildduck/imap-core/lib/imap-connection') as {
  IMAPConnection: { prototype: { formatResponse(this: unknown, command: string, uid: number, data: unknown): EngineResponse | false } };
};

/** Query items as the engine's FETCH builds them from the client's atoms. */
const query = (...names: string[]): FetchQueryItem[] => names.map((value) => ({ item: value.toLowerCase(), original: { type: 'ATOM', value } }));

function engineLine(uids: UidList, items: FetchQueryItem[], meta: MessageMeta): string | false {
  const values = items.map((q) => (q.item === 'uid' ? meta.uid : q.item === 'flags' ? meta.flags : q.item === 'modseq' ? meta.modseq : meta.size));
  const response = IMAPConnection.prototype.formatResponse.call({ selected: { uidList: uids } }, 'FETCH', meta.uid, { query: items, values });
  return response && compileResponse(response);
}

const meta = (uid: number, flags: string[], modseq = 7, size = 4242): MessageMeta => ({ id: uid, mailboxId: 1, uid, modseq, flags, internalDate: new Date(0), size, threadId: 1 });

describe('metadata-only FETCH lines', () => {
  const uids = new UidList(new Uint32Array([3, 5, 9, 12, 40]));
  const flagSets = [[], ['\\Seen'], ['\\Seen', '\\Flagged', '\\Answered', '\\Draft', '\\Deleted'], ['$Forwarded', 'Junk', '$postage-100', 'NonJunk', '$MDNSent'], ['\\Seen', '$label_1.x']];
  const queries = [query('UID', 'FLAGS'), query('FLAGS', 'UID'), query('FLAGS'), query('uid', 'flags', 'modseq'), query('FLAGS', 'RFC822.SIZE', 'UID', 'MODSEQ'), query('rfc822.size')];

  it('writes what the engine writes, for every plain item, spelling and flag set', () => {
    let checked = 0;
    for (const items of queries) {
      const names = plainItemNames(items);
      expect(names).toBeDefined();
      for (const uid of [3, 9, 40]) {
        for (const flags of flagSets) {
          const m = meta(uid, flags, 1000 + uid, 100 * uid);
          expect(plainFetchLine({ uidList: uids }, items, names!, m)).toBe(engineLine(uids, items, m));
          checked++;
        }
      }
    }
    expect(checked).toBe(90);
  });

  it('skips a UID the session no longer lists, as the engine does', () => {
    const items = query('UID', 'FLAGS');
    expect(engineLine(uids, items, meta(4, []))).toBe(false);
    expect(plainFetchLine({ uidList: uids }, items, plainItemNames(items)!, meta(4, []))).toBeNull();
  });

  it('leaves flags the engine would quote, and every other item, to the engine', () => {
    const items = query('UID', 'FLAGS');
    const names = plainItemNames(items)!;
    for (const flag of ['50%', 'a*b', 'x"y']) expect(plainFetchLine({ uidList: uids }, items, names, meta(3, [flag]))).toBeUndefined();
    expect(plainItemNames(query('UID', 'INTERNALDATE'))).toBeUndefined();
    expect(plainItemNames(query('ENVELOPE'))).toBeUndefined();
    expect(plainItemNames([{ item: 'body', original: { type: 'ATOM', value: 'BODY', section: [] } }])).toBeUndefined();
    expect(plainItemNames([{ item: 'flags', original: { type: 'ATOM', value: 'FLAGS', partial: [0, 10] } }])).toBeUndefined();
  });
});
