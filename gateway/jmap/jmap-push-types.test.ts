// JMAP push of the types besides mail against a running gateway (PostgreSQL): Identity/set,
// EmailSubmission/set (create and destroy) and VacationResponse/set each reach an event stream
// and a WebSocket asking for that type as exactly one StateChange naming it, at the state its
// /get reports right after; a stream asking for other types hears nothing of them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSchema, type TestSchema } from '../../test/helpers/databases.js';
import { openEventStream, openJmapSocket, type EventStream, type JmapSocket } from '../../test/helpers/jmap-push-clients.js';
import { PASSWORD, startPostageGateway, type PostageGateway } from '../../test/helpers/postage-gateway.js';

const USING = ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail', 'urn:ietf:params:jmap:submission', 'urn:ietf:params:jmap:vacationresponse'];
type Call = [string, Record<string, unknown>, string];

let g: PostageGateway;
let schema: TestSchema;
let base = '';
let accountId = '';
let identityId = '';
let drafts = '';
const basic = `Basic ${Buffer.from(`alice@example.test:${PASSWORD}`).toString('base64')}`;

async function api(calls: Call[]): Promise<Call[]> {
  const response = await fetch(`${base}/jmap/api`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/json' }, body: JSON.stringify({ using: USING, methodCalls: calls }) });
  expect(response.status).toBe(200);
  return ((await response.json()) as { methodResponses: Call[] }).methodResponses;
}

async function call(name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const [[answer, result]] = (await api([[name, { accountId, ...args }, 'c']])) as [Call];
  expect(answer, JSON.stringify(result)).toBe(name);
  return result;
}

/** The `state` the type's /get reports now. */
async function stateOf(type: string): Promise<string> {
  return (await call(`${type}/get`, { ids: [] }))['state'] as string;
}

/** An event stream and a WebSocket, both asking for `types` only, following from now. */
async function listeners(types: string[]): Promise<{ stream: EventStream; socket: JmapSocket; close(): void }> {
  const stream = await openEventStream(`${base}/jmap/eventsource?types=${types.join(',')}&closeafter=no&ping=0`, basic);
  const socket = await openJmapSocket(`${base.replace(/^http/, 'ws')}/jmap/ws`, basic);
  // From the current state: a change made once the enable is sent is pushed even before the feed has started.
  socket.send({ '@type': 'WebSocketPushEnable', dataTypes: types, pushState: await stateOf('Email') });
  await stream.ready();
  return { stream, socket, close: () => (stream.close(), socket.ws.close()) };
}

const overStream = (changed: Record<string, string>) => ({ event: 'state', data: { '@type': 'StateChange', changed: { [accountId]: changed } } });
const overSocket = (changed: Record<string, string>, pushState: string) => ({ '@type': 'StateChange', changed: { [accountId]: changed }, pushState });

/** Both transports' next message is exactly the StateChange of `type` at `state`. */
async function expectPushed(l: { stream: EventStream; socket: JmapSocket }, type: string, state: string): Promise<void> {
  expect(await l.stream.next()).toEqual(overStream({ [type]: state }));
  expect(await l.socket.next()).toEqual(overSocket({ [type]: state }, state));
}

beforeAll(async () => {
  schema = await createTestSchema();
  g = await startPostageGateway({ DATABASE_URL: schema.url });
  base = `http://127.0.0.1:${g.gateway.httpPort}`;
  const added = await g.cli(['user', 'add', 'bob@example.test', '--password-stdin'], `${PASSWORD}\n`);
  expect(added.code, added.err).toBe(0);
  const session = (await (await fetch(`${base}/.well-known/jmap`, { headers: { authorization: basic } })).json()) as { primaryAccounts: Record<string, string> };
  accountId = session.primaryAccounts['urn:ietf:params:jmap:submission']!;
  identityId = `I${accountId.slice(1)}`;
  const boxes = (await call('Mailbox/get', { ids: null }))['list'] as Array<{ id: string; role: string | null }>;
  drafts = boxes.find((b) => b.role === 'drafts')!.id;
}, 120_000);

afterAll(async () => {
  await g?.close();
  await schema?.dispose();
});

describe('JMAP push of Identity, EmailSubmission and VacationResponse', () => {
  it('Identity/set pushes Identity at the state Identity/get reports; an Email stream hears nothing of it', async () => {
    const identity = await listeners(['Identity']);
    const email = await listeners(['Email']);
    const updated = await call('Identity/set', { update: { [identityId]: { name: 'Alice A.' } } });
    expect(updated['updated']).toEqual({ [identityId]: null });
    await expectPushed(identity, 'Identity', await stateOf('Identity'));

    const created = await call('Identity/set', { create: { second: { email: 'alice@example.test', name: 'Alice again' } } });
    const secondId = (created['created'] as Record<string, { id: string }>)['second']!.id;
    await expectPushed(identity, 'Identity', await stateOf('Identity'));
    expect((await call('Identity/set', { destroy: [secondId] }))['destroyed']).toEqual([secondId]);
    await expectPushed(identity, 'Identity', await stateOf('Identity'));

    // The Email listeners' first StateChange is this draft's: the identity changes made none.
    await call('Email/set', { create: { d: { mailboxIds: { [drafts]: true }, keywords: { $draft: true }, from: [{ email: 'alice@example.test' }], subject: 'Draft' } } });
    await expectPushed(email, 'Email', await stateOf('Email'));
    identity.close();
    email.close();
  });

  it('EmailSubmission/set create and destroy push EmailSubmission at the state EmailSubmission/get reports', async () => {
    const created = await call('Email/set', { create: { d: {
      mailboxIds: { [drafts]: true }, from: [{ email: 'alice@example.test' }], to: [{ email: 'bob@example.test' }], subject: 'Pushed submission',
      textBody: [{ partId: 't' }], bodyValues: { t: { value: 'Hello Bob.' } },
    } } });
    const emailId = (created['created'] as Record<string, { id: string }>)['d']!.id;
    const l = await listeners(['EmailSubmission']);
    const sent = await call('EmailSubmission/set', { create: { s: { identityId, emailId } } });
    const submissionId = (sent['created'] as Record<string, { id: string }>)['s']!.id;
    await expectPushed(l, 'EmailSubmission', await stateOf('EmailSubmission'));
    expect((await call('EmailSubmission/set', { destroy: [submissionId] }))['destroyed']).toEqual([submissionId]);
    await expectPushed(l, 'EmailSubmission', await stateOf('EmailSubmission'));
    expect([l.stream.pending(), l.socket.pending()]).toEqual([0, 0]);
    l.close();
  });

  it('VacationResponse/set pushes VacationResponse at the state VacationResponse/get reports', async () => {
    const l = await listeners(['VacationResponse', 'Identity']);
    const set = await call('VacationResponse/set', { update: { singleton: { isEnabled: true, subject: 'Away', textBody: 'Back on Monday.' } } });
    expect(set['updated']).toEqual({ singleton: null });
    await expectPushed(l, 'VacationResponse', await stateOf('VacationResponse'));
    await call('VacationResponse/set', { update: { singleton: { isEnabled: false } } });
    await expectPushed(l, 'VacationResponse', await stateOf('VacationResponse'));
    l.close();
  });
});
