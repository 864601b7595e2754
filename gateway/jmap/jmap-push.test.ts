// JMAP push (RFC 8620 §7.3) over real HTTP, with IMAP on the same services and notifier: a
// delivery or an IMAP flag change reaches an open event stream as a StateChange naming only
// the types whose data changed, at the state /get then reports; closeafter, ping, refusals,
// and the end of a stream (client gone: its subscription is removed; server closing).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImapFlow } from 'imapflow';
import type { UnlockedAccount } from '../../services/unlocked-account.js';
import { countingNotifier, until } from '../../test/helpers/counting-notifier.js';
import { openImapGateway, PASSWORD, type ImapGateway } from '../../test/helpers/imap-gateway.js';
import { startJmapHttp, type Jam, type JmapHttp } from '../../test/helpers/jmap-gateway.js';
import { PUSH_DETAIL } from './eventsource.js';
import { openEventStream, type EventStream } from '../../test/helpers/jmap-push-clients.js';

let imap: ImapGateway;
let http: JmapHttp;
let jam: Jam;
let client: ImapFlow;
let accountId: string;
let alice: UnlockedAccount;
let counter = 0;

beforeAll(async () => {
  imap = await openImapGateway();
  const port = (await imap.start({ implicitTls: true })).port;
  http = await startJmapHttp(imap);
  jam = http.jam();
  accountId = `A${imap.alice.userId}`;
  alice = await imap.accounts.authenticate('alice@example.test', PASSWORD);
  client = await imap.client(port);
});

afterAll(async () => {
  alice.lock();
  await http.close();
  await imap.dispose();
});

/** An event stream read with Node's fetch, parsed as the WHATWG EventSource would, into a queue. */
function open(query: string, base = http.base, auth: string | undefined = http.basic('alice@example.test')): Promise<EventStream> {
  return openEventStream(`${base}/jmap/eventsource?${query}`, auth);
}

const stateChange = (changed: Record<string, string>) => ({ event: 'state', data: { '@type': 'StateChange', changed: { [accountId]: changed } } });

async function deliver(): Promise<void> {
  counter++;
  await imap.messages.deliver({ userId: imap.alice.userId, raw: Buffer.from(`From: bob@example.test\r\nSubject: Push ${counter}\r\nMessage-ID: <push${counter}@example.test>\r\n\r\nHello.\r\n`) });
}

async function emailState(): Promise<string> {
  const [r] = await jam.request(['Email/get', { accountId, ids: [] }]);
  return r['state'] as string;
}

describe('JMAP push', () => {
  it('a delivery pushes Email, Mailbox and Thread at the state Email/get reports', async () => {
    const stream = await open('types=*&closeafter=no&ping=0');
    expect(stream.status).toBe(200);
    expect(stream.type).toBe('text/event-stream; charset=utf-8');
    await stream.ready();
    await deliver();
    const delivered = performance.now();
    const event = await stream.next();
    const delayMs = performance.now() - delivered;
    console.log(`JMAP push: StateChange ${delayMs.toFixed(1)} ms after deliver() returned`);
    const state = await emailState();
    expect(event).toEqual(stateChange({ Email: state, Mailbox: state, Thread: state }));
    stream.close();
  });

  it('names only the asked types whose data changed: a new mailbox is no Email change', async () => {
    const emails = await open('types=Email&closeafter=no&ping=0');
    const boxes = await open('types=Mailbox&closeafter=no&ping=0');
    await Promise.all([emails.ready(), boxes.ready()]);
    await imap.mailboxes.create(alice, 'Push folder');
    const [boxGet] = await jam.request(['Mailbox/get', { accountId, ids: [] }]);
    expect(await boxes.next()).toEqual(stateChange({ Mailbox: boxGet['state'] as string }));
    await deliver();
    const state = await emailState();
    // The first Email event is the delivery's: the mailbox's creation made none.
    expect(await emails.next()).toEqual(stateChange({ Email: state }));
    expect(await boxes.next()).toEqual(stateChange({ Mailbox: state }));
    emails.close();
    boxes.close();
  });

  it('a flag stored over IMAP pushes Email and Mailbox (its counts), not Thread', async () => {
    const all = await open('types=*&closeafter=no&ping=0');
    const threads = await open('types=Thread,Identity,EmailDelivery&closeafter=no&ping=0');
    await Promise.all([all.ready(), threads.ready()]);
    await client.mailboxOpen('INBOX');
    expect(await client.messageFlagsAdd('1', ['\\Seen'], { uid: true })).toBe(true);
    const flagged = await emailState();
    expect(await all.next()).toEqual(stateChange({ Email: flagged, Mailbox: flagged }));
    await deliver();
    const delivered = await emailState();
    // The first Thread event is the delivery's: the keyword change made none.
    expect(await threads.next()).toEqual(stateChange({ Thread: delivered }));
    expect(await all.next()).toEqual(stateChange({ Email: delivered, Mailbox: delivered, Thread: delivered }));
    all.close();
    threads.close();
  });

  it('closeafter=state ends the stream after the first StateChange (here with a bearer token)', async () => {
    const { token } = await imap.accounts.createToken('alice@example.test', PASSWORD);
    const stream = await open('types=Email&closeafter=state&ping=0', http.base, `Bearer ${token}`);
    expect(stream.status).toBe(200);
    await stream.ready();
    await deliver();
    expect(await stream.next()).toEqual(stateChange({ Email: await emailState() }));
    expect(await stream.next()).toBeUndefined();
  });

  it('pings at the asked interval, raised to the 5 s minimum', async () => {
    const five = await open('types=*&closeafter=no&ping=5');
    const one = await open('types=*&closeafter=no&ping=1');
    expect(await five.next()).toEqual({ event: 'ping', data: { interval: 5 } });
    expect(await one.next()).toEqual({ event: 'ping', data: { interval: 5 } });
    five.close();
    one.close();
  }, 15_000);

  it('refuses a missing login with 401 and bad query values with 400 problem details', async () => {
    const anonymous = await fetch(`${http.base}/jmap/eventsource?types=*&closeafter=no&ping=0`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Basic realm="LNMP Gateway", charset="UTF-8"');
    expect(await anonymous.json()).toEqual({ type: 'about:blank', status: 401, detail: 'HTTP Basic credentials are required' });

    const bad = async (query: string) => {
      const r = await fetch(`${http.base}/jmap/eventsource/?${query}`, { headers: { authorization: http.basic('alice@example.test') } });
      return { status: r.status, type: r.headers.get('content-type'), body: await r.text() };
    };
    expect(await bad('types=*&closeafter=no&ping=abc')).toEqual({
      status: 400,
      type: 'application/problem+json',
      body: '{"type":"about:blank","status":400,"detail":"ping must be a whole number of seconds from 0 to 86400"}',
    });
    expect(JSON.parse((await bad('types=*&closeafter=no&ping=86401')).body)).toEqual({ type: 'about:blank', status: 400, detail: PUSH_DETAIL.ping });
    expect(JSON.parse((await bad('types=*&closeafter=maybe&ping=0')).body)).toEqual({ type: 'about:blank', status: 400, detail: 'closeafter must be "state" or "no"' });
    expect(JSON.parse((await bad('types=Email,,Mailbox&closeafter=no&ping=0')).body)).toEqual({ type: 'about:blank', status: 400, detail: 'types must be "*" or a comma-separated list of type names' });
  });

  it('a client going away removes its subscription; closing the server ends every stream', async () => {
    const notifier = countingNotifier(imap.notifier);
    const own = await startJmapHttp({ ...imap, notifier });
    const leaving = await open('types=*&closeafter=no&ping=0', own.base, own.basic('alice@example.test'));
    const staying = await open('types=*&closeafter=no&ping=0', own.base, own.basic('alice@example.test'));
    await until(() => notifier.live() === 2);
    leaving.close();
    await until(() => notifier.live() === 1);
    const closing = own.close();
    expect(await staying.next()).toBeUndefined();
    await closing;
    expect(notifier.live()).toBe(0);
  });
});
