// Postage against an LND node: the gateway started with `lightning.backend = lnd` talks gRPC
// (the `lightning` package) to the fake LND of test/fake-lnd/, a real gRPC server over TLS.
// A stranger's auto-reply carries the node's invoice; a payment arriving at the node moves
// the message to the INBOX; deleting it cancels the invoice at the node. With the node down,
// mail is still accepted into the Screener and the invoice waits, with a warning in the log.
// Bad credentials stop the start with one line.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import { createLogger } from '../gateway/log.js';
import { startGateway } from '../gateway/server.js';
import { decodeBolt11 } from '../lightning/bolt11.js';
import { generateNodeKey } from '../lightning/node-key.js';
import { deterministicRng } from '../core/deterministic-rng.js';
import { fakeMacaroon, fakeTlsCertificate, type FakeTls } from './fake-lnd/credentials.js';
import { FakeLnd } from './fake-lnd/server.js';
import { eventually, find, invoiceIn, message, move, startPostageGateway, type PostageGateway } from './helpers/postage-gateway.js';

const MACAROON = fakeMacaroon('postage admin');
let tls: FakeTls;
let lnd: FakeLnd;
let g: PostageGateway;
let lndEnv: Record<string, string>;

beforeAll(async () => {
  tls = await fakeTlsCertificate();
  lnd = await FakeLnd.start({ tls, macaroon: MACAROON, nodeKey: generateNodeKey(deterministicRng('postage lnd node')) });
  lndEnv = { LNMP_LIGHTNING: 'lnd', LNMP_LND_SOCKET: lnd.socket, LNMP_LND_CERT: Buffer.from(tls.cert).toString('base64'), LNMP_LND_MACAROON: MACAROON.toString('hex') };
  g = await startPostageGateway(lndEnv);
}, 120_000);

afterAll(async () => {
  await g?.close();
  await lnd?.stop();
});

describe('postage with the lnd backend', () => {
  it('invoices a stranger from the node, delivers on payment with $Postage-100, and cancels at the node when the message is deleted', async () => {
    await g.send('bob@sender.test', message('bob@sender.test', 'Via LND'));
    await g.remote.until('the auto-reply', () => g.remote.received.length >= 1);
    const bolt11 = invoiceIn(g.remote.received[0]!.data);
    const invoice = decodeBolt11(bolt11, { network: 'regtest', now: Date.now(), expectedAmountSats: 100 });
    expect(invoice.payee).toBe(lnd.publicKey);
    expect(lnd.calls).toContain('AddHoldInvoice');
    lnd.pay(invoice.paymentHash);
    const client = await g.imap();
    try {
      const delivered = await eventually('paid message in the INBOX', () => find(client, 'INBOX', 'Via LND'));
      expect([...delivered.flags].filter((f) => f.startsWith('$'))).toEqual(['$Postage', '$Postage-100']);
      await move(client, 'INBOX', delivered.uid, 'Trash');
    } finally {
      await client.logout();
    }
    // The node cancels first, then the case records it: wait for the record.
    const refunded = await eventually('the case canceled', async () => (await g.cases()).find((c) => c.state === 'canceled'));
    expect(lnd.book.find(invoice.paymentHash)?.state).toBe('CANCELED');
    expect(refunded.events.map((e) => e.state)).toEqual(['pending', 'open', 'held', 'canceled']);
  });

  it('accepts mail into the Screener while the node is down; the invoice waits and the log warns', async () => {
    await lnd.stop();
    try {
      await g.send('dave@sender.test', message('dave@sender.test', 'Node down'));
      const client = await g.imap();
      try {
        expect(await find(client, 'Screener', 'Node down')).toBeDefined();
      } finally {
        await client.logout();
      }
      await eventually('the warning', async () => g.logLines.some((l) => l.includes('postage invoice not created; will retry')));
      expect((await g.cases())[0]!.state).toBe('pending');
      const metrics = await (await fetch(`http://127.0.0.1:${g.gateway.httpPort}/metrics`)).text();
      expect(Number(/^lnmp_postage_invoice_failures_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
      expect(g.remote.received).toHaveLength(1);
    } finally {
      await lnd.start();
    }
  });

  it('refuses to start with a malformed macaroon, in one line that does not show it', async () => {
    const { config } = loadConfig({
      env: { ...lndEnv, LNMP_DATA_DIR: '/nonexistent-but-unused', LNMP_LND_MACAROON: 'deadbeef', LNMP_HTTP_PORT: '0', LNMP_SMTP_PORT: '0', LNMP_SUBMISSION_PORT: '0', LNMP_IMAP_PORT: '0', LNMP_IMAPS_PORT: '0', LNMP_RELAY_PORT: '0' },
      readFile: () => '',
    });
    const started = startGateway(config, createLogger({ level: 'error', write: () => {} }), { adminSocket: false });
    await expect(started).rejects.toThrow(/^lightning\.lnd\.macaroon: /);
  });
});
