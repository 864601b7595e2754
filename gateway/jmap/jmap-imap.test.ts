// IMAP and JMAP see one mailbox: a flag stored over a real IMAP session shows in JMAP's
// Email/changes and Email/get keywords, and keywords set over JMAP are the flags IMAP fetches.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openImapGateway, PASSWORD, type ImapGateway } from '../../test/helpers/imap-gateway.js';
import { startJmapHttp, type JmapHttp } from '../../test/helpers/jmap-gateway.js';

let imap: ImapGateway;
let http: JmapHttp;
let port: number;
let inbox: number;
let uid: number;

beforeAll(async () => {
  imap = await openImapGateway();
  port = (await imap.start({ implicitTls: true })).port;
  http = await startJmapHttp(imap);
  const alice = await imap.accounts.authenticate('alice@example.test', PASSWORD);
  inbox = (await imap.mailboxes.byRole(alice, 'inbox')).id;
  uid = (await imap.messages.append(alice, inbox, Buffer.from('From: bob@example.test\r\nSubject: Shared\r\n\r\nOne mailbox.\r\n'), { internalDate: new Date('2024-05-01T08:00:00Z') })).uid;
  alice.lock();
});

afterAll(async () => {
  await http.close();
  await imap.dispose();
});

describe('one mailbox for IMAP and JMAP', () => {
  it('a flag stored over IMAP is in JMAP Email/changes and Email/get keywords', async () => {
    const jam = http.jam();
    const accountId = `A${imap.alice.userId}`;
    const id = `E${inbox}-${uid}`;
    const [before] = await jam.request(['Email/get', { accountId, ids: [id], properties: ['keywords'] }]);
    expect(before['list']).toEqual([{ id, keywords: {} }]);

    const client = await imap.client(port);
    await client.mailboxOpen('INBOX');
    expect(await client.messageFlagsAdd(String(uid), ['\\Flagged', '$Label1'], { uid: true })).toBe(true);

    const [changes] = await jam.request(['Email/changes', { accountId, sinceState: before['state'] }]);
    expect(changes).toEqual({ accountId, oldState: before['state'], newState: String(Number(before['state']) + 1), hasMoreChanges: false, created: [], updated: [id], destroyed: [] });
    const [after] = await jam.request(['Email/get', { accountId, ids: [id], properties: ['keywords'] }]);
    expect(after).toEqual({ accountId, state: changes['newState'], list: [{ id, keywords: { $flagged: true, $label1: true } }], notFound: [] });

    const [set] = await jam.request(['Email/set', { accountId, update: { [id]: { 'keywords/$seen': true, 'keywords/$flagged': null } } }]);
    expect(set['updated']).toEqual({ [id]: null });
    const fetched = await client.fetchOne(String(uid), { flags: true }, { uid: true });
    expect(fetched && [...fetched.flags!].sort()).toEqual(['$Label1', '\\Seen']);
  });
});
