// JMAP over WebSocket (RFC 8887) over real sockets, with IMAP on the same services and notifier:
// the session's capability, refusals before the upgrade (401, 400 without the subprotocol),
// Request/Response with ids, each RequestError exactly, push enable/disable with StateChanges
// for deliveries and IMAP changes, pushState catch-up, isolation of a bad socket, and shutdown.
import { connect as connectTcp } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImapFlow } from 'imapflow';
import { WebSocket } from 'ws';
import { countingNotifier, until } from '../../test/helpers/counting-notifier.js';
import { openImapGateway, PASSWORD, type ImapGateway } from '../../test/helpers/imap-gateway.js';
import { startJmapHttp, type JmapHttp } from '../../test/helpers/jmap-gateway.js';
import { openJmapSocket, type JmapSocket } from '../../test/helpers/jmap-push-clients.js';

const CORE = 'urn:ietf:params:jmap:core';
const MAIL = 'urn:ietf:params:jmap:mail';

let imap: ImapGateway;
let http: JmapHttp;
let imapPort: number;
let accountId: string;
let counter = 0;

beforeAll(async () => {
  imap = await openImapGateway();
  imapPort = (await imap.start({ implicitTls: true })).port;
  http = await startJmapHttp(imap);
  accountId = `A${imap.alice.userId}`;
});

afterAll(async () => {
  await http.close();
  await imap.dispose();
});

type Message = Record<string, unknown>;

/** A connected client socket (subprotocol jmap, alice's Basic credentials unless told otherwise). */
function open(opts: { base?: string; auth?: string } = {}): Promise<JmapSocket> {
  return openJmapSocket(`${(opts.base ?? http.base).replace(/^http/, 'ws')}/jmap/ws`, opts.auth ?? http.basic('alice@example.test'));
}

/** The refusal of an upgrade: status, content type, WWW-Authenticate and body. */
function refused(headers: Record<string, string>, protocols: string[] = ['jmap']): Promise<{ status: number; type: string | undefined; www: string | undefined; body: unknown }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${http.base.replace(/^http/, 'ws')}/jmap/ws`, protocols, { headers });
    ws.on('open', () => reject(new Error('the upgrade was accepted')));
    ws.on('error', () => {});
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += String(chunk)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], www: res.headers['www-authenticate'], body: JSON.parse(body) as unknown }));
    });
  });
}

async function deliver(): Promise<void> {
  counter++;
  await imap.messages.deliver({ userId: imap.alice.userId, raw: Buffer.from(`From: bob@example.test\r\nSubject: Socket ${counter}\r\nMessage-ID: <ws${counter}@example.test>\r\n\r\nHello.\r\n`) });
}

/** The account's state, asked over the socket (Email/get's state). */
async function stateOver(socket: JmapSocket): Promise<string> {
  const response = await socket.request(`state-${++counter}`, [['Email/get', { accountId, ids: [] }, 's']]);
  return ((response['methodResponses'] as [string, Message, string][])[0]![1]['state']) as string;
}

const stateChange = (changed: Record<string, string>, pushState: string) => ({ '@type': 'StateChange', changed: { [accountId]: changed }, pushState });

const requestError = (type: string, detail: string, extra: Message = {}) => ({ '@type': 'RequestError', type: `urn:ietf:params:jmap:error:${type}`, status: 400, detail, ...extra });

describe('JMAP over WebSocket', () => {
  it('is in the session: urn:ietf:params:jmap:websocket with the ws: URL and push', async () => {
    const response = await fetch(`${http.base}/.well-known/jmap`, { headers: { authorization: http.basic('alice@example.test') } });
    const session = (await response.json()) as { capabilities: Record<string, unknown> };
    expect(session.capabilities['urn:ietf:params:jmap:websocket']).toEqual({ url: `${http.base.replace(/^http:/, 'ws:')}/jmap/ws`, supportsPush: true });
  });

  it('refuses the upgrade with 401 without or with wrong credentials, and 400 without the jmap subprotocol', async () => {
    expect(await refused({})).toEqual({ status: 401, type: 'application/problem+json', www: 'Basic realm="LNMP Gateway", charset="UTF-8"', body: { type: 'about:blank', status: 401, detail: 'HTTP Basic credentials are required' } });
    expect(await refused({ authorization: http.basic('alice@example.test', 'wrong-password') })).toEqual({
      status: 401, type: 'application/problem+json', www: 'Basic realm="LNMP Gateway", charset="UTF-8"', body: { type: 'about:blank', status: 401, detail: 'authentication failed' },
    });
    const subprotocol = { status: 400, type: 'application/problem+json', www: undefined, body: { type: 'about:blank', status: 400, detail: 'the WebSocket subprotocol "jmap" is required' } };
    expect(await refused({ authorization: http.basic('alice@example.test') }, ['jmap-other'])).toEqual(subprotocol);
    expect(await refused({ authorization: http.basic('alice@example.test') }, [])).toEqual(subprotocol);
  });

  it('answers a GET without an upgrade with 426, and other upgrade requests as ordinary ones', async () => {
    const plain = await fetch(`${http.base}/jmap/ws`);
    expect(plain.status).toBe(426);
    expect(plain.headers.get('upgrade')).toBe('websocket');
    expect(await plain.json()).toEqual({ type: 'about:blank', status: 426, detail: 'connect with WebSocket, subprotocol "jmap"' });
    // An h2c upgrade (curl --http2 on http:) is served as HTTP/1.1, and the connection then closes.
    const raw = await new Promise<string>((resolve) => {
      const port = Number(new URL(http.base).port);
      const socket = connectTcp(port, '127.0.0.1', () => socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n'));
      let text = '';
      socket.on('data', (chunk) => (text += String(chunk)));
      socket.on('close', () => resolve(text));
    });
    expect(raw).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(raw).toMatch(/\r\nConnection: close\r\n/);
  });

  it('answers a Request with a Response carrying its id as requestId (none without an id), here over a bearer token', async () => {
    const { token } = await imap.accounts.createToken('alice@example.test', PASSWORD);
    const socket = await open({ auth: `Bearer ${token}` });
    const session = (await (await fetch(`${http.base}/.well-known/jmap`, { headers: { authorization: http.basic('alice@example.test') } })).json()) as { state: string };
    expect(socket.ws.protocol).toBe('jmap');
    const response = await socket.request('R1', [['Core/echo', { hello: 'world' }, 'c1'], ['Mailbox/get', { accountId, ids: null, properties: ['name'] }, 'c2']]);
    const boxes = (response['methodResponses'] as [string, Message, string][])[1]!;
    expect(response).toEqual({
      '@type': 'Response',
      requestId: 'R1',
      methodResponses: [['Core/echo', { hello: 'world' }, 'c1'], ['Mailbox/get', expect.objectContaining({ accountId }), 'c2']],
      sessionState: session.state,
    });
    expect(boxes[0]).toBe('Mailbox/get');
    expect((boxes[1]['list'] as Message[]).map((m) => m['name'])).toContain('INBOX');
    socket.send({ '@type': 'Request', using: [CORE], methodCalls: [['Core/echo', { n: 1 }, 'e']] });
    expect(await socket.next()).toEqual({ '@type': 'Response', methodResponses: [['Core/echo', { n: 1 }, 'e']], sessionState: session.state });
    socket.ws.close();
  });

  it('answers bad messages with the exact RequestError, with requestId when it is known', async () => {
    const socket = await open();
    socket.send('{"@type": "Request", ');
    expect(await socket.next()).toEqual(requestError('notJSON', 'the message is not JSON'));
    socket.ws.send(Buffer.from('{}'), { binary: true });
    expect(await socket.next()).toEqual(requestError('notJSON', 'messages are JSON text, not binary'));
    socket.send({ '@type': 'Reqest', id: 'R2', using: [], methodCalls: [] });
    expect(await socket.next()).toEqual(requestError('notRequest', 'the message is not a Request, WebSocketPushEnable or WebSocketPushDisable', { requestId: 'R2' }));
    socket.send([1, 2]);
    expect(await socket.next()).toEqual(requestError('notRequest', 'the message is not a Request, WebSocketPushEnable or WebSocketPushDisable'));
    socket.send({ '@type': 'Request', id: 7, using: [], methodCalls: [] });
    expect(await socket.next()).toEqual(requestError('notRequest', 'the message is not a JMAP request: id: a request id is a string'));
    socket.send({ '@type': 'Request', id: 'R3', using: CORE, methodCalls: [] });
    expect(await socket.next()).toEqual(requestError('notRequest', 'the message is not a JMAP request: using: Invalid input: expected array, received string', { requestId: 'R3' }));
    expect(await socket.request('R4', [], ['urn:example:nothing'])).toEqual(
      requestError('unknownCapability', 'the server does not support the capability urn:example:nothing', { requestId: 'R4' }),
    );
    const calls = Array.from({ length: 17 }, (_, i) => ['Core/echo', {}, `c${i}`]);
    expect(await socket.request('R5', calls)).toEqual(requestError('limit', 'at most 16 method calls per request', { requestId: 'R5', limit: 'maxCallsInRequest' }));
    socket.send(JSON.stringify({ '@type': 'Request', id: 'R6', using: [CORE], methodCalls: [['Core/echo', { pad: 'x'.repeat(10_000_000) }, 'c']] }));
    expect(await socket.next()).toEqual(requestError('limit', 'requests are limited to 10000000 bytes', { limit: 'maxSizeRequest' }));
    socket.send({ '@type': 'WebSocketPushEnable', dataTypes: ['Email', 'no such'] });
    expect(await socket.next()).toEqual(requestError('notRequest', 'WebSocketPushEnable: dataTypes must be null or a list of type names'));
    // Still open and answering after every one of them.
    expect((await socket.request('R7', [['Core/echo', {}, 'c']]))['@type']).toBe('Response');
    socket.ws.close();
  });

  it('answers requests past maxConcurrentRequests (HTTP and WebSocket together) with limit', async () => {
    const socket = await open();
    const ids = Array.from({ length: 8 }, (_, i) => `P${i}`);
    for (const id of ids) socket.send({ '@type': 'Request', id, using: [CORE, MAIL], methodCalls: [['Mailbox/get', { accountId, ids: null }, 'c']] });
    const replies: Message[] = [];
    for (const _ of ids) replies.push(await socket.next());
    const refusedIds = replies.filter((r) => r['@type'] === 'RequestError').map((r) => r['requestId']);
    expect(refusedIds.length).toBeGreaterThan(0);
    expect(replies.filter((r) => r['@type'] === 'Response')).toHaveLength(8 - refusedIds.length);
    for (const r of replies.filter((m) => m['@type'] === 'RequestError')) {
      expect(r).toEqual({ '@type': 'RequestError', requestId: r['requestId'], type: 'urn:ietf:params:jmap:error:limit', status: 429, detail: 'at most 4 requests at once', limit: 'maxConcurrentRequests' });
    }
    socket.ws.close();
  });

  it('pushes a delivery as a StateChange with pushState once push is enabled', async () => {
    const socket = await open();
    const before = await stateOver(socket);
    socket.send({ '@type': 'WebSocketPushEnable', dataTypes: null, pushState: before });
    await deliver();
    const delivered = performance.now();
    const event = await socket.next();
    console.log(`JMAP WebSocket push: StateChange ${(performance.now() - delivered).toFixed(1)} ms after deliver() returned`);
    const after = await stateOver(socket);
    expect(event).toEqual(stateChange({ Email: after, Mailbox: after, Thread: after }, after));
    socket.ws.close();
  });

  it('pushes a flag stored over IMAP as Email and Mailbox; dataTypes narrows what is pushed', async () => {
    const all = await open();
    const boxes = await open();
    const state = await stateOver(all);
    all.send({ '@type': 'WebSocketPushEnable', dataTypes: null, pushState: state });
    boxes.send({ '@type': 'WebSocketPushEnable', dataTypes: ['Mailbox', 'EmailDelivery'], pushState: state });
    // Only for this test: a session with INBOX selected re-wraps new mail, a change of its own.
    const client: ImapFlow = await imap.client(imapPort);
    await client.mailboxOpen('INBOX');
    expect(await client.messageFlagsAdd('1', ['\\Flagged'], { uid: true })).toBe(true);
    const flagged = await stateOver(all);
    expect(await all.next()).toEqual(stateChange({ Email: flagged, Mailbox: flagged }, flagged));
    expect(await boxes.next()).toEqual(stateChange({ Mailbox: flagged }, flagged));
    await client.logout();
    all.ws.close();
    boxes.ws.close();
  });

  it('catches up from an older pushState at once', async () => {
    const socket = await open();
    const old = await stateOver(socket);
    await deliver();
    const now = await stateOver(socket);
    socket.send({ '@type': 'WebSocketPushEnable', dataTypes: ['Email'], pushState: old });
    expect(await socket.next()).toEqual(stateChange({ Email: now }, now));
    socket.ws.close();
  });

  it('WebSocketPushDisable stops pushes; a bad message on one socket leaves another of the same user alone', async () => {
    const notifier = countingNotifier(imap.notifier);
    const own = await startJmapHttp({ ...imap, notifier });
    const quiet = await open({ base: own.base });
    const witness = await open({ base: own.base });
    const state = await stateOver(witness);
    quiet.send({ '@type': 'WebSocketPushEnable', dataTypes: null, pushState: state });
    witness.send({ '@type': 'WebSocketPushEnable', dataTypes: null, pushState: state });
    await until(() => notifier.live() === 2);
    quiet.send({ '@type': 'WebSocketPushDisable' });
    await until(() => notifier.live() === 1);
    quiet.send('garbage');
    expect(await quiet.next()).toEqual(requestError('notJSON', 'the message is not JSON'));
    await deliver();
    const delivered = await stateOver(witness);
    expect(await witness.next()).toEqual(stateChange({ Email: delivered, Mailbox: delivered, Thread: delivered }, delivered));
    // The quiet socket's next message is the answer to its request, not a StateChange.
    quiet.send({ '@type': 'Request', id: 'Q', using: [CORE], methodCalls: [['Core/echo', {}, 'c']] });
    expect((await quiet.next())['requestId']).toBe('Q');
    const closing = own.close();
    expect(await witness.closed).toEqual({ code: 1001, reason: 'server closing' });
    expect(await quiet.closed).toEqual({ code: 1001, reason: 'server closing' });
    await closing;
    // The server side hears the close last; its feed then unsubscribes.
    await until(() => notifier.live() === 0);
  });
});
