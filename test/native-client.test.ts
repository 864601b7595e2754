// The native client CLI (`client keygen | document | send | inbox | watch`) in-process against
// real parts on loopback: relays on PostgreSQL (relay/server.ts), a DNS server publishing
// `_lnmp` records and an HTTP server serving signed identity documents for discovery, and, for
// postage, a relay whose deliver hook answers with invoices from the dev Lightning backend
// behind the real pay page.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  contentAad, createIdentityDocument, DEFAULT_PRICING, draftMessage, formatAddress, identityFromMnemonic, makeAddress, seal, signMessage, toHex, utf8,
  createMessage, type Identity, type VerifiedMessage,
} from '../core/index.js';
import { runCli } from '../gateway/cli/program.js';
import { createGatewayRouter } from '../gateway/http/gateway-router.js';
import { closeHttpServer, createHttpServer } from '../gateway/http/server.js';
import { createLogger } from '../gateway/log.js';
import { composeContent } from '../gateway/native-client/compose.js';
import type { PostageInvoice } from '../relay/context.js';
import { RelayClient } from '../relay/client.js';
import { startRelayServer, type RunningRelay } from '../relay/server.js';
import { systemRng } from '../services/random.js';
import { createMemoryCounters } from '../storage/counters.js';
import { openTestDb, type TestDb } from './helpers/databases.js';
import { openDevPaySource, type DevPaySource } from './helpers/dev-pay-source.js';
import { startDnsServer, type DnsServer } from './helpers/dns-server.js';
import { fakeIo, type FakeIo } from './helpers/fake-io.js';
import { TEST_CLIENT_SETUP } from './helpers/client-setup.js';
import { identity, memoryLogger } from './helpers/relay-client.js';

const PASSPHRASE = 'correct horse battery';
const dir = mkdtempSync(join(tmpdir(), 'lnmp-native-client-'));
const keyOf = (name: string) => join(dir, name, 'key.json');

let t: TestDb;
let relay: RunningRelay;
let postageRelay: RunningRelay;
let dns: DnsServer;
let docs: { base: string; server: Server; files: Map<string, unknown> };
let pay: { source: DevPaySource; base: string; server: Server };
/** What the postage relay's deliver hook answers with. */
let postage: () => Promise<readonly PostageInvoice[]> = async () => [];

/** A loopback HTTP server answering GET with the JSON stored at the path, else 404. */
async function documentServer(): Promise<typeof docs> {
  const files = new Map<string, unknown>();
  const server = createServer((req, res) => {
    const body = files.get(req.url ?? '');
    res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' });
    res.end(body === undefined ? '{}' : JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, files };
}

/** A gateway key for `domain` whose document names `relayUrl`, published at <base>/<domain>. */
function publishDomain(domain: string, relayUrl: string, gateway: Identity): string {
  const url = `${docs.base}/${domain}`;
  const address = formatAddress(makeAddress(gateway.publicKey, 'gateway', domain));
  docs.files.set(`/${domain}`, createIdentityDocument(gateway.privateKey, { addresses: [address], features: [], relays: [{ url: relayUrl }], pricing: DEFAULT_PRICING, proofs: [], updatedAt: 1_800_000_000 }, systemRng));
  return `v=LNMP1; k=${gateway.publicKey}; u=${url}`;
}

async function startRelay(deliver?: () => Promise<readonly PostageInvoice[]>): Promise<RunningRelay> {
  return startRelayServer({ host: '127.0.0.1', port: 0, db: t.db, counters: createMemoryCounters(), logger: memoryLogger(), ...(deliver ? { deliver } : {}) });
}

function env(extra: Record<string, string> = {}): Record<string, string> {
  return { LNMP_CLIENT_PASSPHRASE: PASSPHRASE, LNMP_DNS_SERVERS: dns.address, HOME: dir, ...extra };
}

async function cli(args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  const io = fakeIo(env(extraEnv));
  const code = await runCli(['client', ...args], io);
  return { code, out: io.out(), err: io.err() };
}

interface Keyed {
  readonly address: string;
  readonly publicKey: string;
  readonly keyFile: string;
  readonly mnemonic: string;
}

async function keygen(name: string, ...args: string[]): Promise<Keyed> {
  const r = await cli(['keygen', '--username', name, '--key-file', keyOf(name), '--json', ...args]);
  expect(r).toMatchObject({ code: 0, err: '' });
  return JSON.parse(r.out) as Keyed;
}

/** Creates `name` at `domain` on `relayUrl` and serves its document where discovery looks. */
async function discoverableUser(name: string, domain: string, relayUrl: string): Promise<Keyed> {
  const user = await keygen(name, '--host', domain, '--relay', relayUrl);
  const doc = await cli(['document', '--key-file', user.keyFile]);
  expect(doc.code).toBe(0);
  docs.files.set(`/${domain}/users/${domain}/${name}`, JSON.parse(doc.out));
  return user;
}

interface Entry {
  id: string;
  date: string;
  from: string;
  fromKey: string;
  subject: string;
  body: string;
}

async function inbox(user: Keyed): Promise<Entry[]> {
  const r = await cli(['inbox', '--json', '--key-file', user.keyFile]);
  expect(r).toMatchObject({ code: 0, err: '' });
  return JSON.parse(r.out) as Entry[];
}

let alice: Keyed;
let bob: Keyed;
let paula: Keyed;

beforeAll(async () => {
  t = await openTestDb('postgres');
  relay = await startRelay();
  postageRelay = await startRelay(() => postage());
  docs = await documentServer();
  dns = await startDnsServer({
    '_lnmp.b.test': { TXT: [publishDomain('b.test', relay.url, identity('gw-b'))] },
    '_lnmp.pay.test': { TXT: [publishDomain('pay.test', postageRelay.url, identity('gw-pay'))] },
  });
  const source = await openDevPaySource();
  const server = createHttpServer(createGatewayRouter({ version: '0.0.0', setup: TEST_CLIENT_SETUP, pay: { source, devMode: true } }), createLogger({ level: 'error', write: () => {} }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  pay = { source, server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  alice = await keygen('alice');
  [bob, paula] = await Promise.all([discoverableUser('bob', 'b.test', relay.url), discoverableUser('paula', 'pay.test', postageRelay.url)]);
}, 60_000);

afterAll(async () => {
  await Promise.all([relay?.close(), postageRelay?.close(), dns?.close(), docs && closeHttpServer(docs.server), pay && closeHttpServer(pay.server)]);
  await Promise.all([t?.dispose(), pay?.source.close()]);
  rmSync(dir, { recursive: true, force: true });
});

describe('client keygen', () => {
  it('writes a 0600 key file in a 0700 directory holding neither the private key nor the mnemonic in clear', () => {
    expect(alice.address).toMatch(/^alice#[1-9A-Za-z]{6}@lnmp\.invalid$/);
    expect(alice.keyFile).toBe(keyOf('alice'));
    expect(statSync(alice.keyFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'alice')).mode & 0o777).toBe(0o700);
    const text = readFileSync(alice.keyFile, 'utf8');
    const id = identityFromMnemonic(alice.mnemonic);
    expect(id.publicKey).toBe(alice.publicKey);
    for (const secret of [toHex(id.privateKey), Buffer.from(id.privateKey).toString('base64'), alice.mnemonic, ...alice.mnemonic.split(' ').slice(0, 3).map((w, i, a) => a.slice(i).join(' '))]) {
      expect(text).not.toContain(secret);
    }
    expect(JSON.parse(text)).toMatchObject({ version: 1, publicKey: alice.publicKey, address: alice.address, relays: [], kdf: { alg: 'scrypt', N: 32768, r: 8, p: 1 } });
  });

  it('refuses to overwrite a key file without --force', async () => {
    const r = await cli(['keygen', '--username', 'alice', '--key-file', alice.keyFile]);
    expect(r).toEqual({ code: 1, out: '', err: `lnmp-gateway: ${alice.keyFile} exists; use --force to replace it (the identity in it is lost unless its mnemonic is kept)\n` });
  });

  it('asks for the passphrase twice on a terminal when none is set', async () => {
    const io = fakeIo({ HOME: dir }, {}, { tty: true, text: 'short\rshort\r' });
    expect(await runCli(['client', 'keygen', '--username', 'x', '--key-file', keyOf('tty')], io)).toBe(2);
    expect(io.err()).toBe('Key file passphrase: \nRepeat key file passphrase: \nlnmp-gateway: the passphrase must have at least 8 characters\n');
    const piped = fakeIo({ HOME: dir });
    expect(await runCli(['client', 'inbox', '--key-file', alice.keyFile], piped)).toBe(2);
    expect(piped.err()).toBe('lnmp-gateway: no passphrase: set LNMP_CLIENT_PASSPHRASE or run in a terminal\n');
  });

  it('a wrong passphrase is one line and exit 1', async () => {
    const r = await cli(['inbox', '--key-file', bob.keyFile], { LNMP_CLIENT_PASSPHRASE: 'not the passphrase' });
    expect(r).toEqual({ code: 1, out: '', err: `lnmp-gateway: wrong passphrase for ${bob.keyFile}\n` });
  });
});

describe('client send and inbox', () => {
  it('alice sends to bob by LNMP address and by plain address; bob reads both with subject, body and her address', async () => {
    const sent = await cli(['send', '--key-file', alice.keyFile, '--to', bob.address, '--subject', 'Grüße aus Köln', '--body', 'Hallo Bob,\nwie geht es?']);
    expect(sent.err).toBe('');
    expect(sent.code).toBe(0);
    const id = /^delivered ([0-9a-f]{64}) to /.exec(sent.out)?.[1];
    expect(sent.out).toBe(`delivered ${id} to ${bob.address} (accepted by 1 of 1 relays)\n`);

    const plain = await cli(['send', '--json', '--key-file', alice.keyFile, '--to', 'bob@b.test', '--subject', 'second', '--body', 'by plain address']);
    expect(plain.code).toBe(0);
    const report = JSON.parse(plain.out) as { id: string };
    expect(JSON.parse(plain.out)).toEqual({ id: report.id, to: 'bob@b.test', recipientKey: bob.publicKey, relays: [{ relay: relay.url, status: 'ok' }], state: 'delivered', paid: false });

    const entries = await inbox(bob);
    const first = entries.find((e) => e.id === id);
    expect(first).toMatchObject({ from: alice.address, fromKey: alice.publicKey, subject: 'Grüße aus Köln', body: 'Hallo Bob,\nwie geht es?\n' });
    expect(entries.find((e) => e.id === report.id)).toMatchObject({ from: alice.address, subject: 'second', body: 'by plain address\n' });

    const lines = await cli(['inbox', '--key-file', bob.keyFile, '--limit', '1']);
    expect(lines.code).toBe(0);
    const newest = entries[0]!;
    expect(lines.out).toBe(`${newest.date}  ${alice.address}  ${newest.subject}  ${newest.id}\n`);
  });

  it('shows the signing key, not a From address that key does not own; skips an envelope that cannot be opened with a warning', async () => {
    const mallory = identity('mallory');
    const content = await composeContent({ from: { name: 'alice', address: alice.address }, to: bob.address, subject: 'forged', body: 'not alice', date: new Date() }, '<forged@lnmp.invalid>');
    const forged = createMessage({ privateKey: mallory.privateKey, to: [bob.publicKey], content, timestamp: Math.floor(Date.now() / 1000) }, systemRng);
    const draft = draftMessage({ privateKey: mallory.privateKey, to: [bob.publicKey], content: { type: 'text', body: 'x' }, timestamp: Math.floor(Date.now() / 1000) }, systemRng);
    const garbled = signMessage({ ...draft, encrypted: seal(utf8('not json'), [bob.publicKey, mallory.publicKey], systemRng, { aad: contentAad(draft) }) }, mallory.privateKey, systemRng);
    await publishAll(relay.url, [forged, garbled]);

    const r = await cli(['inbox', '--json', '--key-file', bob.keyFile]);
    expect(r.code).toBe(0);
    expect(r.err).toBe(`lnmp-gateway: warning: skipped message ${garbled.id}: invalid_content: decrypted content is not UTF-8 JSON\n`);
    const entries = JSON.parse(r.out) as Entry[];
    expect(entries.find((e) => e.id === forged.id)).toMatchObject({ from: mallory.publicKey, fromKey: mallory.publicKey, subject: 'forged' });
    expect(entries.some((e) => e.id === garbled.id)).toBe(false);
  });

  it.each([
    ['carol@nowhere.test', 'nowhere.test publishes no _lnmp record'],
    ['nobody#abcdef@b.test', 'no LNMP identity nobody#abcdef@b.test'],
    ['x y@b.test', '"x y@b.test" is not an address LNMP can look up'],
  ])('an unknown recipient %s is one line naming why', async (to, message) => {
    const r = await cli(['send', '--key-file', alice.keyFile, '--to', to, '--subject', 's', '--body', 'b']);
    expect(r).toEqual({ code: to.includes(' ') ? 2 : 1, out: '', err: `lnmp-gateway: ${message}\n` });
  });
});

describe('client watch', () => {
  it('prints a message sent while watching, and ends at the stop signal', async () => {
    const io: FakeIo = fakeIo(env());
    const running = runCli(['client', 'watch', '--key-file', bob.keyFile], io);
    await waitFor('the subscription', () => io.err().includes(`watching ${bob.address} at ${relay.url}\n`));
    expect(io.out()).toBe('');
    const sent = await cli(['send', '--key-file', alice.keyFile, '--to', bob.address, '--subject', 'while you watch', '--body', 'live']);
    const id = /^delivered ([0-9a-f]{64})/.exec(sent.out)![1]!;
    await waitFor('the message', () => io.out().includes(id));
    io.stop('SIGINT');
    expect(await running).toBe(0);
    expect(io.out()).toMatch(new RegExp(`^\\S+Z  ${escape(alice.address)}  while you watch  ${id}\\n$`));
  });
});

describe('client send with postage', () => {
  const subject = 'hello stranger';

  it('prints a postage invoice and exits 0: the message is held', async () => {
    const view = await newPayment();
    postage = async () => [{ bolt11: view.bolt11, amount: 2100, expiresAt: seconds(view.expiresAt), url: `${pay.base}/pay/${view.id}` }];
    const r = await cli(['send', '--key-file', alice.keyFile, '--to', paula.address, '--subject', subject, '--body', 'pay me']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const id = /holds ([0-9a-f]{64})/.exec(r.out)?.[1];
    expect(r.out).toBe(`held, postage required: ${paula.address} holds ${id} until 2100 sat are paid\ninvoice: ${view.bolt11}\npay at:  ${pay.base}/pay/${view.id}\n`);
    expect((await pay.source.view(view.id))?.state).toBe('open');
  });

  it('--pay pays through the development pay page', async () => {
    const view = await newPayment();
    postage = async () => [{ bolt11: view.bolt11, amount: 2100, expiresAt: seconds(view.expiresAt), url: `${pay.base}/pay/${view.id}` }];
    const r = await cli(['send', '--json', '--pay', '--key-file', alice.keyFile, '--to', paula.address, '--subject', subject, '--body', 'paid']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out) as { id: string };
    expect(JSON.parse(r.out)).toEqual({
      id: report.id, to: paula.address, recipientKey: paula.publicKey, relays: [{ relay: postageRelay.url, status: 'ok' }], state: 'delivered', paid: true,
      invoice: { bolt11: view.bolt11, amount: 2100, expiresAt: seconds(view.expiresAt), purpose: 'postage', url: `${pay.base}/pay/${view.id}` },
    });
    expect((await pay.source.view(view.id))?.state).toBe('held');
  });

  it('--pay with an invoice that names no pay page: the invoice, then one line and exit 1', async () => {
    const view = await newPayment();
    postage = async () => [{ bolt11: view.bolt11, amount: 2100, expiresAt: seconds(view.expiresAt) }];
    const r = await cli(['send', '--pay', '--key-file', alice.keyFile, '--to', paula.address, '--subject', subject, '--body', 'no url']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(new RegExp(`^held, postage required: ${escape(paula.address)} holds [0-9a-f]{64} until 2100 sat are paid\\ninvoice: ${view.bolt11}\\n$`));
    expect(r.err).toBe('lnmp-gateway: cannot pay: the invoice names no pay page; pay it with a Lightning wallet\n');
  });
});

/** The pay page's expiry is in milliseconds; the INVOICE frame's in seconds. */
function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}

async function newPayment() {
  const id = await pay.source.create({ amountSats: 2100, recipient: paula.address, subject: 'hello stranger' });
  return (await pay.source.view(id))!;
}

async function publishAll(url: string, messages: VerifiedMessage[]): Promise<void> {
  const client = new RelayClient({ url });
  try {
    for (const m of messages) await client.publish(m);
  } finally {
    await client.close();
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\#]/g, '\\$&');
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
