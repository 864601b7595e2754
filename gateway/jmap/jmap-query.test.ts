// Email/query and Email/queryChanges over real HTTP against PostgreSQL: every FilterCondition,
// the operators, every sort, collations and collapseThreads on five messages with known
// answers; the exact errors of bad filters and sorts; queryChanges after adds, removes, moves
// and keyword changes, and cannotCalculateChanges where it is not kept.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UnlockedAccount } from '../../services/unlocked-account.js';
import { openJmapGateway, PASSWORD, type Jam, type JmapGateway } from '../../test/helpers/jmap-gateway.js';

let g: JmapGateway;
let jam: Jam;
let alice: UnlockedAccount;
let accountId: string;
const box: Record<string, number> = {};

const crlf = (lines: string[]) => lines.join('\r\n');
/** Five messages: 0 and 1 are one thread; 4 is in INBOX and Archive. */
const MESSAGES = [
  {
    box: 'INBOX', date: '2024-01-01T10:00:00Z', flags: ['\\Seen'],
    raw: crlf([
      'From: "Zed Zulu" <zed@example.test>', 'To: alice@example.test', 'Subject: Budget 2024', 'Message-ID: <q0@example.test>', 'Date: Mon, 01 Jan 2024 09:00:00 +0000', 'X-Priority: 1',
      'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b0"', '', '--b0', 'Content-Type: text/plain', '', 'numbers attached', '--b0',
      'Content-Type: application/pdf', 'Content-Disposition: attachment; filename="numbers.pdf"', 'Content-Transfer-Encoding: base64', '', 'JVBERi0xLjQK', '--b0--', '',
    ]),
  },
  {
    box: 'INBOX', date: '2024-01-02T10:00:00Z', flags: ['\\Flagged'],
    raw: crlf([
      'From: amy@example.test', 'To: bob@example.test', 'Cc: carol@example.test', 'Subject: Re: Budget 2024', 'Message-ID: <q1@example.test>', 'In-Reply-To: <q0@example.test>',
      'References: <q0@example.test>', 'Date: Tue, 02 Jan 2024 09:00:00 +0000', '', 'looks fine', '',
    ]),
  },
  {
    box: 'Archive', date: '2024-01-03T10:00:00Z', flags: ['\\Seen', '\\Flagged'],
    raw: crlf(['From: "Bob" <bob@example.test>', 'To: alice@example.test', 'Bcc: dave@example.test', 'Subject: [team] Re: apples', 'Message-ID: <q2@example.test>', 'Date: Sun, 31 Dec 2023 12:00:00 +0000', '', 'pizza or sushi', '']),
  },
  {
    box: 'Lists', date: '2024-01-04T10:00:00Z', flags: [],
    raw: crlf(['From: "amy" <amy@example.test>', 'To: list@example.test', 'Subject: [list] Weekly digest', 'Message-ID: <q3@example.test>', 'Date: Thu, 04 Jan 2024 09:00:00 +0000', 'List-Id: <list.example.test>', '', 'nothing budget related', '']),
  },
  {
    box: 'INBOX', date: '2024-01-05T10:00:00Z', flags: ['$Label1'],
    raw: crlf([
      'From: "Ümit" <umit@example.test>', 'To: alice@example.test', 'Subject: Fwd: Coffee trip', 'Message-ID: <q4@example.test>', 'Date: Fri, 05 Jan 2024 09:00:00 +0000',
      'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit', '', 'see you at the zoo', '',
    ]),
  },
];
const blobs: number[] = [];
const sizes = MESSAGES.map((m) => Buffer.byteLength(m.raw));

beforeAll(async () => {
  g = await openJmapGateway();
  alice = await g.accounts.authenticate('alice@example.test', PASSWORD);
  await g.mailboxes.create(alice, 'Lists');
  await g.mailboxes.create(alice, 'Q');
  for (const m of await g.mailboxes.list(alice)) box[m.name] = m.id;
  for (const m of MESSAGES) blobs.push((await g.messages.append(alice, box[m.box]!, Buffer.from(m.raw), { internalDate: new Date(m.date), flags: m.flags })).blobId);
  const uid = (await g.messages.emailRows(alice, { blobIds: [blobs[4]!] }))[0]!.uid;
  await g.messages.copy(alice, box['INBOX']!, [uid], box['Archive']!);
  jam = g.jam();
  accountId = g.alice.accountId;
});

afterAll(async () => {
  alice.lock();
  await g.dispose();
});

const E = (i: number) => `E${blobs[i]}`;
const M = (name: string) => `M${box[name]}`;

async function query(args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const [r] = await jam.request(['Email/query', { accountId, ...args }]);
  return r;
}

/** The message numbers a query finds, in order. */
async function found(args: Record<string, unknown>): Promise<number[]> {
  const r = await query(args);
  return (r['ids'] as string[]).map((id) => blobs.indexOf(Number(id.slice(1))));
}

async function error(method: string, args: Record<string, unknown>): Promise<unknown> {
  const r = await g.post({ using: ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail'], methodCalls: [[method, { accountId, ...args }, 'q']] });
  return (r.json as { methodResponses: unknown[][] }).methodResponses[0];
}

describe('Email/query filters', () => {
  it.each([
    ['no filter', undefined, [4, 3, 2, 1, 0]],
    ['inMailbox', { inMailbox: 'INBOX' }, [4, 1, 0]],
    ['inMailbox of a copy', { inMailbox: 'Archive' }, [4, 2]],
    ['inMailboxOtherThan', { inMailboxOtherThan: ['INBOX'] }, [4, 3, 2]],
    ['inMailboxOtherThan two', { inMailboxOtherThan: ['INBOX', 'Archive'] }, [3]],
    ['before', { before: '2024-01-03T00:00:00Z' }, [1, 0]],
    ['after (inclusive)', { after: '2024-01-03T10:00:00Z' }, [4, 3, 2]],
    ['allInThreadHaveKeyword', { allInThreadHaveKeyword: '$seen' }, [2]],
    ['someInThreadHaveKeyword', { someInThreadHaveKeyword: '$seen' }, [2, 1, 0]],
    ['noneInThreadHaveKeyword', { noneInThreadHaveKeyword: '$seen' }, [4, 3]],
    ['hasKeyword', { hasKeyword: '$flagged' }, [2, 1]],
    ['hasKeyword, any case', { hasKeyword: '$LABEL1' }, [4]],
    ['notKeyword', { notKeyword: '$flagged' }, [4, 3, 0]],
    ['hasAttachment', { hasAttachment: true }, [0]],
    ['no attachment', { hasAttachment: false }, [4, 3, 2, 1]],
    ['text: addresses, subject and body', { text: 'BUDGET' }, [3, 1, 0]],
    ['text: not other header fields', { text: 'list.example.test' }, []],
    ['from', { from: 'amy' }, [3, 1]],
    ['to', { to: 'alice' }, [4, 2, 0]],
    ['cc', { cc: 'carol' }, [1]],
    ['bcc', { bcc: 'dave' }, [2]],
    ['subject', { subject: 'budget' }, [1, 0]],
    ['body', { body: 'budget' }, [3]],
    ['header present', { header: ['List-Id'] }, [3]],
    ['header value', { header: ['x-priority', '1'] }, [0]],
    ['header value absent', { header: ['X-Priority', '2'] }, []],
    ['two properties: all must match', { inMailbox: 'INBOX', from: 'amy' }, [1]],
    ['AND', { operator: 'AND', conditions: [{ inMailbox: 'INBOX' }, { hasKeyword: '$flagged' }] }, [1]],
    ['OR', { operator: 'OR', conditions: [{ from: 'amy' }, { bcc: 'dave' }] }, [3, 2, 1]],
    ['NOT', { operator: 'NOT', conditions: [{ inMailbox: 'INBOX' }] }, [3, 2]],
    ['nested', { operator: 'AND', conditions: [{ operator: 'OR', conditions: [{ subject: 'budget' }, { subject: 'apples' }] }, { operator: 'NOT', conditions: [{ hasKeyword: '$seen' }] }] }, [1]],
    ['empty OR', { operator: 'OR', conditions: [] }, []],
  ])('%s', async (_name, filter, expected) => {
    const named = filter && JSON.parse(JSON.stringify(filter).replace(/"(inMailbox|inMailboxOtherThan)":(\[[^\]]*\]|"[^"]*")/g, (_m, k: string, v: string) => `"${k}":${v.replace(/"(INBOX|Archive|Lists)"/g, (_q, n: string) => `"${M(n)}"`)}`));
    expect(await found(named ? { filter: named } : {})).toEqual(expected);
  });

  it('minSize is at least, maxSize less than', async () => {
    const pivot = sizes[1]!;
    const bySize = (keep: (s: number) => boolean) => [4, 3, 2, 1, 0].filter((i) => keep(sizes[i]!));
    expect(await found({ filter: { minSize: pivot } })).toEqual(bySize((s) => s >= pivot));
    expect(await found({ filter: { maxSize: pivot } })).toEqual(bySize((s) => s < pivot));
    expect(await found({ filter: { minSize: pivot, maxSize: pivot } })).toEqual([]);
  });

  it('answers the whole window shape and canCalculateChanges', async () => {
    expect(await query({ filter: { hasKeyword: '$flagged' }, calculateTotal: true, position: 1 })).toEqual({
      accountId, queryState: expect.stringMatching(/^\d+$/), canCalculateChanges: true, position: 1, ids: [E(1)], total: 2,
    });
    expect((await query({ filter: { inMailbox: M('INBOX') } }))['canCalculateChanges']).toBe(true);
    expect((await query({ filter: { someInThreadHaveKeyword: '$seen' } }))['canCalculateChanges']).toBe(false);
    expect((await query({ collapseThreads: true }))['canCalculateChanges']).toBe(false);
    expect(await query({ filter: { from: 'amy' }, anchor: E(1), anchorOffset: -1, limit: 5 })).toMatchObject({ position: 0, ids: [E(3), E(1)] });
  });
});

describe('Email/query sorts', () => {
  const sizeOrder = [0, 1, 2, 3, 4].sort((a, b) => sizes[a]! - sizes[b]! || a - b);
  it.each([
    ['receivedAt ascending', [{ property: 'receivedAt' }], [0, 1, 2, 3, 4]],
    ['receivedAt descending', [{ property: 'receivedAt', isAscending: false }], [4, 3, 2, 1, 0]],
    ['size', [{ property: 'size' }], sizeOrder],
    ['from, i;unicode-casemap', [{ property: 'from' }], [3, 1, 2, 4, 0]],
    ['from, i;ascii-casemap', [{ property: 'from', collation: 'i;ascii-casemap' }], [3, 1, 2, 0, 4]],
    ['to, ties by id', [{ property: 'to' }], [0, 2, 4, 1, 3]],
    ['subject, base subjects', [{ property: 'subject' }], [2, 0, 1, 4, 3]],
    ['sentAt', [{ property: 'sentAt' }], [2, 0, 1, 3, 4]],
    ['hasKeyword descending', [{ property: 'hasKeyword', keyword: '$flagged', isAscending: false }], [2, 1, 4, 3, 0]],
    ['two comparators', [{ property: 'hasKeyword', keyword: '$seen' }, { property: 'receivedAt', isAscending: false }], [4, 3, 1, 2, 0]],
    ['allInThreadHaveKeyword', [{ property: 'allInThreadHaveKeyword', keyword: '$seen', isAscending: false }], [2, 4, 3, 1, 0]],
    ['someInThreadHaveKeyword', [{ property: 'someInThreadHaveKeyword', keyword: '$seen' }], [3, 4, 0, 1, 2]],
  ])('%s', async (_name, sort, expected) => {
    expect(await found({ sort })).toEqual(expected);
  });

  it('collapseThreads keeps the first Email of each thread in the sorted list', async () => {
    expect(await found({ collapseThreads: true })).toEqual([4, 3, 2, 1]);
    expect(await found({ collapseThreads: true, sort: [{ property: 'receivedAt' }] })).toEqual([0, 2, 3, 4]);
    expect(await found({ collapseThreads: true, filter: { inMailbox: M('INBOX') }, calculateTotal: true })).toEqual([4, 1]);
  });

  it('the session lists every sort', async () => {
    const session = await jam.session;
    const mail = (session['accounts'] as Record<string, { accountCapabilities: Record<string, Record<string, unknown>> }>)[accountId]!.accountCapabilities['urn:ietf:params:jmap:mail']!;
    expect(mail['emailQuerySortOptions']).toEqual(['receivedAt', 'size', 'from', 'to', 'subject', 'sentAt', 'hasKeyword', 'allInThreadHaveKeyword', 'someInThreadHaveKeyword']);
  });
});

describe('Email/query refusals', () => {
  it.each([
    ['an unknown condition', { filter: { foo: 1 } }, 'unsupportedFilter', 'filter: foo is not a FilterCondition of Email/query'],
    ['an unknown nested condition', { filter: { operator: 'NOT', conditions: [{ inMailbox: 'M1' }, { color: 'red' }] } }, 'unsupportedFilter', 'filter/conditions/1: color is not a FilterCondition of Email/query'],
    ['an unknown operator', { filter: { operator: 'XOR', conditions: [] } }, 'invalidArguments', 'filter: a FilterOperator has an operator (AND, OR or NOT) and conditions'],
    ['a condition that is not an object', { filter: { operator: 'AND', conditions: ['x'] } }, 'invalidArguments', 'filter/conditions/0: a filter is a FilterOperator or a FilterCondition object'],
    ['a bad date', { filter: { before: '2024-01-01' } }, 'invalidArguments', 'filter/before: not a UTCDate'],
    ['a bad keyword', { filter: { hasKeyword: 'a b' } }, 'invalidArguments', 'filter/hasKeyword: not a valid keyword'],
    ['a negative size', { filter: { operator: 'AND', conditions: [{ minSize: -1 }] } }, 'invalidArguments', 'filter/conditions/0/minSize: Too small: expected number to be >=0'],
    ['a bad header', { filter: { header: ['Bad Name'] } }, 'invalidArguments', 'filter/header/0: not a header field name'],
    ['an unknown sort', { sort: [{ property: 'id' }] }, 'unsupportedSort', 'sort/0: sorting Emails by id is not supported'],
    ['an unknown collation', { sort: [{ property: 'receivedAt' }, { property: 'subject', collation: 'i;octet' }] }, 'unsupportedSort', 'sort/1: the collation i;octet is not supported'],
    ['a keyword sort without keyword', { sort: [{ property: 'hasKeyword' }] }, 'invalidArguments', 'sort/0: sorting by hasKeyword needs a keyword'],
    ['a bad sort keyword', { sort: [{ property: 'hasKeyword', keyword: '(x)' }] }, 'invalidArguments', 'sort/0/keyword: not a valid keyword'],
    ['a keyword on another sort', { sort: [{ property: 'size', keyword: '$seen' }] }, 'invalidArguments', 'sort/0: keyword belongs to the hasKeyword, allInThreadHaveKeyword and someInThreadHaveKeyword sorts only'],
  ])('refuses %s', async (_name, args, type, description) => {
    expect(await error('Email/query', args)).toEqual(['error', { type, description }, 'q']);
  });

  it('refuses filters nested too deep', async () => {
    let filter: Record<string, unknown> = { inMailbox: 'M1' };
    for (let i = 0; i < 40; i++) filter = { operator: 'NOT', conditions: [filter] };
    expect(await error('Email/query', { filter })).toEqual(['error', { type: 'invalidArguments', description: `filter${'/conditions/0'.repeat(32)}: filters nest at most 32 deep` }, 'q']);
  });
});

describe('Email/queryChanges', () => {
  const Q: number[] = [];
  const append = async (name: string, date: string, mailbox = 'Q') => {
    const raw = `From: q@example.test\r\nSubject: ${name}\r\nMessage-ID: <${name}@example.test>\r\n\r\n${name}\r\n`;
    const blob = (await g.messages.append(alice, box[mailbox]!, Buffer.from(raw), { internalDate: new Date(date) })).blobId;
    Q.push(blob);
    return `E${blob}`;
  };
  const changes = async (args: Record<string, unknown>) => (await jam.request(['Email/queryChanges', { accountId, ...args }]))[0];
  const set = async (args: Record<string, unknown>) => (await jam.request(['Email/set', { accountId, ...args }]))[0];

  it('follows an inMailbox query exactly: adds, moves out, destroys; keyword changes are no change', async () => {
    const a = await append('qa', '2024-02-01T00:00:00Z');
    const b = await append('qb', '2024-02-02T00:00:00Z');
    const filter = { inMailbox: M('Q') };
    const first = await query({ filter });
    expect(first).toMatchObject({ ids: [b, a], canCalculateChanges: true });
    const s0 = first['queryState'] as string;

    await set({ update: { [a]: { 'keywords/$seen': true } } });
    expect(await changes({ filter, sinceQueryState: s0, calculateTotal: true })).toEqual({
      accountId, oldQueryState: s0, newQueryState: String(Number(s0) + 1), total: 2, removed: [], added: [],
    });

    const c = await append('qc', '2024-02-03T00:00:00Z');
    await append('elsewhere', '2024-02-04T00:00:00Z', 'INBOX');
    expect(await changes({ filter, sinceQueryState: s0 })).toMatchObject({ removed: [], added: [{ id: c, index: 0 }] });

    await set({ update: { [b]: { mailboxIds: { [M('Archive')]: true } } } });
    const r = await changes({ filter, sinceQueryState: s0 });
    expect(r).toMatchObject({ removed: [b], added: [{ id: c, index: 0 }] });
    expect((await query({ filter }))['ids']).toEqual([c, a]);

    const d = await append('qd', '2024-01-20T00:00:00Z');
    // The client holds results up to `c` (index 0): b and d are past it and left out.
    expect(await changes({ filter, sinceQueryState: s0, upToId: c })).toMatchObject({ removed: [], added: [{ id: c, index: 0 }] });
    expect(await changes({ filter, sinceQueryState: s0 })).toMatchObject({ removed: [b], added: [{ id: c, index: 0 }, { id: d, index: 2 }] });

    await set({ destroy: [a] });
    expect(await changes({ filter, sinceQueryState: s0 })).toMatchObject({ removed: [b, a], added: [{ id: c, index: 0 }, { id: d, index: 1 }] });
    expect(await error('Email/queryChanges', { filter, sinceQueryState: s0, maxChanges: 3 })).toEqual(['error', { type: 'tooManyChanges', description: '4 changes, more than maxChanges' }, 'q']);
  });

  it('follows a keyword filter by reporting each changed Email as removed and, if found, added again', async () => {
    const filter = { operator: 'AND', conditions: [{ inMailbox: M('Q') }, { notKeyword: '$flagged' }] };
    const first = await query({ filter });
    const ids = first['ids'] as string[];
    const s0 = first['queryState'] as string;
    const [top, next] = ids as [string, string];
    await set({ update: { [next]: { 'keywords/$flagged': true } } });
    expect(await changes({ filter, sinceQueryState: s0 })).toMatchObject({ removed: [next], added: [] });
    await set({ update: { [next]: { 'keywords/$flagged': null }, [top]: { 'keywords/$seen': true } } });
    const r = await changes({ filter, sinceQueryState: s0 });
    expect(new Set(r['removed'] as string[])).toEqual(new Set([top, next]));
    expect(r['added']).toEqual([{ id: top, index: 0 }, { id: next, index: 1 }]);
  });

  it('answers cannotCalculateChanges where it keeps no changes', async () => {
    const s = (await query({}))['queryState'] as string;
    const cannot = (description: string) => ['error', { type: 'cannotCalculateChanges', description }, 'q'];
    const threads = 'changes of a query with collapseThreads or a thread keyword condition or sort are not kept; run Email/query again';
    expect(await error('Email/queryChanges', { sinceQueryState: s, collapseThreads: true })).toEqual(cannot(threads));
    expect(await error('Email/queryChanges', { sinceQueryState: s, filter: { allInThreadHaveKeyword: '$seen' } })).toEqual(cannot(threads));
    expect(await error('Email/queryChanges', { sinceQueryState: s, sort: [{ property: 'someInThreadHaveKeyword', keyword: '$seen' }] })).toEqual(cannot(threads));
    expect(await error('Email/queryChanges', { sinceQueryState: 'abc' })).toEqual(cannot('"abc" is not a query state of this account'));
    expect(await error('Email/queryChanges', { sinceQueryState: String(Number(s) + 100) })).toEqual(cannot(`"${Number(s) + 100}" is not a query state of this account`));
    expect(await error('Email/queryChanges', { sinceQueryState: s, filter: { foo: 1 } })).toEqual(['error', { type: 'unsupportedFilter', description: 'filter: foo is not a FilterCondition of Email/query' }, 'q']);
  });
});
