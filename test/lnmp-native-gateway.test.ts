// The native client and a gateway user, both ways: a stranger native user's envelope is held
// by the gateway, which answers the PUBLISH with a postage invoice; the client pays it (dev
// backend, through the pay page) and the message reaches the INBOX with lnmp=pass. The user
// replies from a mail client to the native address; discovery finds the native user's
// document and relay, and the native inbox shows the reply.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdentityDocument, DEFAULT_PRICING, formatAddress, makeAddress } from '../core/index.js';
import { runCli } from '../gateway/cli/program.js';
import { closeHttpServer } from '../gateway/http/server.js';
import { systemRng } from '../services/random.js';
import { startDnsServer, type DnsServer } from './helpers/dns-server.js';
import { fakeIo } from './helpers/fake-io.js';
import { startLnmpGateway, type LnmpGateway, type LnmpZone } from './helpers/lnmp-gateway.js';
import { eventually } from './helpers/postage-gateway.js';
import { identity } from './helpers/relay-client.js';

const PASSPHRASE = 'correct horse battery';
const dir = mkdtempSync(join(tmpdir(), 'lnmp-native-gateway-'));
const keyFile = join(dir, 'carol', 'key.json');
let b: LnmpGateway;
let dns: DnsServer;
let docs: Server;
let carol: { address: string; publicKey: string };

async function client(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = fakeIo({ LNMP_CLIENT_PASSPHRASE: PASSPHRASE, LNMP_DNS_SERVERS: dns?.address ?? '127.0.0.1:1', HOME: dir });
  const code = await runCli(['client', ...args, '--key-file', keyFile], io);
  return { code, out: io.out(), err: io.err() };
}

beforeAll(async () => {
  const zone: LnmpZone = new Map();
  b = await startLnmpGateway('b.test', zone);
  await b.addUser('bob');
  // Carol reads her mail at Bob's gateway relay; her domain n.test serves her document.
  const made = await client(['keygen', '--username', 'carol', '--host', 'n.test', '--relay', `ws://127.0.0.1:${b.gateway.relayPort}`, '--json']);
  expect(made.code, made.err).toBe(0);
  carol = JSON.parse(made.out) as typeof carol;
  const files = new Map<string, string>();
  docs = createServer((req, res) => {
    const body = files.get(req.url ?? '');
    res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' });
    res.end(body ?? '{}');
  });
  await new Promise<void>((resolve) => docs.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(docs.address() as AddressInfo).port}/n.test`;
  const domainKey = identity('n.test');
  files.set('/n.test', JSON.stringify(createIdentityDocument(domainKey.privateKey, {
    addresses: [formatAddress(makeAddress(domainKey.publicKey, 'gateway', 'n.test'))], features: [], relays: [{ url: `ws://127.0.0.1:${b.gateway.relayPort}` }], pricing: DEFAULT_PRICING, proofs: [], updatedAt: 1_800_000_000,
  }, systemRng)));
  files.set('/n.test/users/n.test/carol', (await client(['document'])).out);
  zone.set('_lnmp.n.test', `v=LNMP1; k=${domainKey.publicKey}; u=${base}`);
  dns = await startDnsServer(Object.fromEntries([...zone].map(([name, txt]) => [name, { TXT: [txt] }])));
}, 60_000);

afterAll(async () => {
  await b?.close();
  await dns?.close();
  if (docs) await closeHttpServer(docs);
  rmSync(dir, { recursive: true, force: true });
});

describe('a native client user and a gateway user', () => {
  it('a stranger native user gets the invoice, pays it, and the message reaches the INBOX with lnmp=pass', async () => {
    const sent = await client(['send', '--to', 'bob@b.test', '--subject', 'From the native client', '--body', 'Hi Bob, paid postage.', '--pay', '--json']);
    expect(sent.code, sent.err).toBe(0);
    const report = JSON.parse(sent.out) as { state: string; paid: boolean; invoice: { amount: number; purpose: string; url: string } };
    expect(report).toMatchObject({ state: 'delivered', paid: true, invoice: { amount: 100, purpose: 'postage' } });
    expect(report.invoice.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${b.gateway.httpPort}/pay/[A-Za-z0-9_-]+$`));
    const found = await eventually('the paid message in the INBOX', async () => {
      const imap = await b.imap('bob@b.test');
      try {
        const lock = await imap.getMailboxLock('INBOX');
        try {
          for await (const m of imap.fetch('1:*', { envelope: true, source: true, flags: true })) {
            if (m.envelope?.subject === 'From the native client') return { source: m.source!.toString('utf8'), flags: m.flags! };
          }
        } finally {
          lock.release();
        }
      } finally {
        await imap.logout();
      }
      return undefined;
    });
    expect(found.flags.has('$Postage-100')).toBe(true);
    expect(found.source.replace(/\r\n(?=[ \t])/g, '')).toContain(`lnmp=pass header.from=${carol.address.toLowerCase()}`);
    expect(found.source).toContain('Hi Bob, paid postage.');
  }, 60_000);

  it('the gateway user replies to the native address and the native inbox shows it', async () => {
    await b.submit('bob@b.test', {
      from: 'bob@b.test',
      to: carol.address,
      raw: `From: Bob <bob@b.test>\r\nTo: <${carol.address}>\r\nSubject: Re: From the native client\r\nMessage-ID: <r1@b.test>\r\n\r\nThanks Carol.\r\n`,
    });
    const entry = await eventually('the reply in the native inbox', async () => {
      const r = await client(['inbox', '--json']);
      expect(r.code, r.err).toBe(0);
      return (JSON.parse(r.out) as Array<{ subject: string; from: string; body: string }>).find((e) => e.subject === 'Re: From the native client');
    });
    expect(entry.from).toMatch(/^bob#[1-9A-Za-z]{6}@b\.test$/);
    expect(entry.body).toContain('Thanks Carol.');
  }, 60_000);
});
