// IMAP and JMAP see one mailbox: a flag stored over a real IMAP session shows in JMAP's
// Email/changes and Email/get keywords, and keywords set over JMAP are the flags IMAP fetches;
// an Email keeps its id through an IMAP MOVE (an update in Email/changes), a COPY makes it one
// Email in two mailboxes, and its download is the exact bytes IMAP fetches as BODY[].
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImapFlow } from 'imapflow';
import { openImapGateway, PASSWORD, type ImapGateway } from '../../test/helpers/imap-gateway.js';
import { startJmapHttp, type Jam, type JmapHttp } from '../../test/helpers/jmap-gateway.js';

let imap: ImapGateway;
let http: JmapHttp;
let jam: Jam;
let client: ImapFlow;
let accountId: string;
let inbox: number;
let archive: number;
let uid: number;
/** The Email id of the one message: `E<blob>`. */
let id: string;
let blob: number;
const RAW = 'From: bob@example.test\r\nSubject: Shared\r\nMessage-ID: <shared@example.test>\r\n\r\nOne mailbox.\r\n\xff not UTF-8 \r\n';

beforeAll(async () => {
  imap = await openImapGateway();
  const port = (await imap.start({ implicitTls: true })).port;
  http = await startJmapHttp(imap);
  const alice = await imap.accounts.authenticate('alice@example.test', PASSWORD);
  inbox = (await imap.mailboxes.byRole(alice, 'inbox')).id;
  archive = (await imap.mailboxes.byRole(alice, 'archive')).id;
  uid = (await imap.messages.append(alice, inbox, Buffer.from(RAW, 'latin1'), { internalDate: new Date('2024-05-01T08:00:00Z') })).uid;
  blob = (await imap.messages.emailRows(alice, { mailboxId: inbox }))[0]!.blobId;
  id = `E${blob}`;
  alice.lock();
  jam = http.jam();
  accountId = `A${imap.alice.userId}`;
  client = await imap.client(port);
});

afterAll(async () => {
  await http.close();
  await imap.dispose();
});

async function get(properties: string[]): Promise<Record<string, unknown>> {
  const [r] = await jam.request(['Email/get', { accountId, ids: [id], properties }]);
  return r;
}

describe('one mailbox for IMAP and JMAP', () => {
  it('a flag stored over IMAP is in JMAP Email/changes and Email/get keywords', async () => {
    const before = await get(['keywords']);
    expect(before['list']).toEqual([{ id, keywords: {} }]);

    await client.mailboxOpen('INBOX');
    expect(await client.messageFlagsAdd(String(uid), ['\\Flagged', '$Label1'], { uid: true })).toBe(true);

    const [changes] = await jam.request(['Email/changes', { accountId, sinceState: before['state'] }]);
    expect(changes).toEqual({ accountId, oldState: before['state'], newState: String(Number(before['state']) + 1), hasMoreChanges: false, created: [], updated: [id], destroyed: [] });
    const after = await get(['keywords']);
    expect(after).toEqual({ accountId, state: changes['newState'], list: [{ id, keywords: { $flagged: true, $label1: true } }], notFound: [] });

    const [set] = await jam.request(['Email/set', { accountId, update: { [id]: { 'keywords/$seen': true, 'keywords/$flagged': null } } }]);
    expect(set['updated']).toEqual({ [id]: null });
    const fetched = await client.fetchOne(String(uid), { flags: true }, { uid: true });
    expect(fetched && [...fetched.flags!].sort()).toEqual(['$Label1', '\\Seen']);
  });

  it('downloads the exact bytes IMAP fetches as BODY[], with the asked type and file name', async () => {
    const fetched = await client.fetchOne(String(uid), { source: true }, { uid: true });
    const session = await jam.session;
    const url = (session['downloadUrl'] as string)
      .replace('{accountId}', accountId).replace('{blobId}', `B${blob}`).replace('{name}', encodeURIComponent('Shared "mail" é.eml')).replace('{type}', encodeURIComponent('message/rfc822'));
    const r = await fetch(url, { headers: { authorization: http.basic('alice@example.test') } });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('message/rfc822');
    expect(r.headers.get('content-disposition')).toBe(`attachment; filename="Shared _mail_ _.eml"; filename*=UTF-8''Shared%20%22mail%22%20%C3%A9.eml`);
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    const body = Buffer.from(await r.arrayBuffer());
    expect(fetched && body.equals(fetched.source!)).toBe(true);
    expect(body.equals(Buffer.from(RAW, 'latin1'))).toBe(true);

    const odd = await fetch(`${http.base}/jmap/download/${accountId}/B${blob}/x.bin?type=${encodeURIComponent('text/html\r\nx-injected: 1')}`, { headers: { authorization: http.basic('alice@example.test') } });
    expect([odd.status, odd.headers.get('content-type'), odd.headers.get('x-injected')]).toEqual([200, 'application/octet-stream', null]);
  });

  it("answers 404, never data, for another user's blob, another account, a malformed id, and 401 without credentials", async () => {
    const path = `/jmap/download/${accountId}/B${blob}/m.eml`;
    const asBob = await fetch(`${http.base}${path}`, { headers: { authorization: http.basic('bob@example.test') } });
    expect([asBob.status, await asBob.json()]).toEqual([404, { error: 'not_found' }]);
    const bobAccount = `A${imap.bob.userId}`;
    for (const p of [`/jmap/download/${bobAccount}/B${blob}/m.eml`, `/jmap/download/${accountId}/B999999999/m.eml`, `/jmap/download/${accountId}/${id}/m.eml`, `/jmap/download/${accountId}/B0${blob}/m.eml`]) {
      const r = await fetch(`${http.base}${p}`, { headers: { authorization: http.basic('alice@example.test') } });
      expect([p, r.status, await r.json()]).toEqual([p, 404, { error: 'not_found' }]);
    }
    expect((await fetch(`${http.base}${path}`)).status).toBe(401);
  });

  it('keeps the Email id through an IMAP MOVE: Email/changes has it updated, not destroyed and created', async () => {
    const before = await get(['mailboxIds']);
    await client.mailboxOpen('INBOX');
    const moved = await client.messageMove(String(uid), 'Archive', { uid: true });
    expect(moved).toBeTruthy();
    const after = await get(['mailboxIds', 'keywords']);
    expect(after['list']).toEqual([{ id, mailboxIds: { [`M${archive}`]: true }, keywords: { $seen: true, $label1: true } }]);
    const [changes] = await jam.request(['Email/changes', { accountId, sinceState: before['state'] }]);
    expect(changes).toEqual({ accountId, oldState: before['state'], newState: after['state'], hasMoreChanges: false, created: [], updated: [id], destroyed: [] });
  });

  it('makes an IMAP COPY one Email in two mailboxes, listed once by Email/query', async () => {
    const before = await get(['mailboxIds']);
    await client.mailboxOpen('Archive');
    expect(await client.messageCopy('1:*', 'INBOX')).toBeTruthy();
    const after = await get(['mailboxIds']);
    expect(after['list']).toEqual([{ id, mailboxIds: { [`M${archive}`]: true, [`M${inbox}`]: true } }]);
    const [q] = await jam.request(['Email/query', { accountId, calculateTotal: true }]);
    expect({ ids: q['ids'], total: q['total'] }).toEqual({ ids: [id], total: 1 });
    const [changes] = await jam.request(['Email/changes', { accountId, sinceState: before['state'] }]);
    expect(changes).toMatchObject({ created: [], updated: [id], destroyed: [] });
  });

  it('removes one copy over JMAP (an update: the Email lives on), then destroys it: IMAP sees both go', async () => {
    const before = await get(['mailboxIds']);
    const [r] = await jam.request(['Email/set', { accountId, update: { [id]: { [`mailboxIds/M${archive}`]: null } } }]);
    expect(r['updated']).toEqual({ [id]: null });
    expect((await get(['mailboxIds']))['list']).toEqual([{ id, mailboxIds: { [`M${inbox}`]: true } }]);
    const [c1] = await jam.request(['Email/changes', { accountId, sinceState: before['state'] }]);
    expect(c1).toMatchObject({ created: [], updated: [id], destroyed: [] });
    await client.mailboxOpen('Archive');
    expect(await client.search({ all: true })).toEqual([]);

    const [d] = await jam.request(['Email/set', { accountId, destroy: [id] }]);
    expect(d['destroyed']).toEqual([id]);
    const [c2] = await jam.request(['Email/changes', { accountId, sinceState: before['state'] }]);
    expect(c2).toMatchObject({ created: [], updated: [], destroyed: [id] });
    await client.mailboxOpen('INBOX');
    expect(await client.search({ all: true })).toEqual([]);
    const gone = await fetch(`${http.base}/jmap/download/${accountId}/B${blob}/m.eml`, { headers: { authorization: http.basic('alice@example.test') } });
    expect(gone.status).toBe(404);
  });

  it('names the Emails an IMAP EXPUNGE and a mailbox deletion destroy, and a message created then moved as created', async () => {
    const alice = await imap.accounts.authenticate('alice@example.test', PASSWORD);
    const goneUid = (await imap.messages.append(alice, inbox, Buffer.from('Subject: Gone\r\n\r\nsoon\r\n'))).uid;
    const gone = `E${(await imap.messages.emailRows(alice, { mailboxId: inbox })).find((r) => r.uid === goneUid)!.blobId}`;
    const before = await get(['id']);
    // After the state: one message expunged over IMAP, one appended then moved, one in a mailbox that is deleted.
    await client.mailboxOpen('INBOX');
    expect(await client.messageDelete('1:*')).toBe(true);
    const scratch = (await imap.mailboxes.create(alice, 'Scratch')).id;
    await imap.messages.append(alice, scratch, Buffer.from('Subject: Scratch\r\n\r\nx\r\n'));
    const fresh = await imap.messages.append(alice, inbox, Buffer.from('Subject: Fresh\r\n\r\nnew\r\n'));
    const freshId = `E${(await imap.messages.emailRows(alice, { mailboxId: inbox })).find((r) => r.uid === fresh.uid)!.blobId}`;
    await imap.messages.copy(alice, inbox, [fresh.uid], archive, { move: true });
    await imap.mailboxes.delete(alice, scratch);
    alice.lock();
    const after = await get(['id']);
    const [changes] = await jam.request(['Email/changes', { accountId, sinceState: before['state'] }]);
    expect(changes).toEqual({ accountId, oldState: before['state'], newState: after['state'], hasMoreChanges: false, created: [freshId], updated: [], destroyed: [gone] });
    const [now] = await jam.request(['Email/changes', { accountId, sinceState: after['state'] }]);
    expect(now).toMatchObject({ created: [], updated: [], destroyed: [] });
  });
});
