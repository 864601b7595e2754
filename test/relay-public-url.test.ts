// The embedded relay's public URL (`relayUrl`, LNMP_RELAY_URL): a running gateway's relay
// accepts AUTH signed for that URL (the address clients reach it at, e.g. behind a TLS proxy)
// and refuses one signed for the listening address; the gateway's identity document names it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deterministicRng } from '../core/deterministic-rng.js';
import { loadConfig } from '../config/load.js';
import { createLogger } from '../gateway/log.js';
import { relayPublicUrl, startGateway, type RunningGateway } from '../gateway/server.js';
import { signAuth } from '../relay/auth.js';
import { seedPgliteDataDir } from './helpers/databases.js';
import { identity, TestClient } from './helpers/relay-client.js';

const PUBLIC = 'wss://relay.example.test/lnmp';
let root: string;
let gateway: RunningGateway | undefined;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'lnmp-relay-url-'));
  const env = {
    LNMP_DATA_DIR: join(root, 'data'),
    LNMP_HTTP_PORT: '0', LNMP_SMTP_PORT: '0', LNMP_SUBMISSION_PORT: '0', LNMP_IMAP_PORT: '0', LNMP_IMAPS_PORT: '0', LNMP_RELAY_PORT: '0',
    LNMP_RELAY_URL: PUBLIC,
  };
  await seedPgliteDataDir(env.LNMP_DATA_DIR);
  gateway = await startGateway(loadConfig({ env, readFile: () => '' }).config, createLogger({ level: 'warn', write: () => {} }));
});

afterAll(async () => {
  await gateway?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('relayUrl on a running gateway', () => {
  const alice = identity('relay-url-alice');
  const authFor = (c: TestClient, relay: string) =>
    c.request(signAuth({ privateKey: alice.privateKey, relay, challenge: c.challenge, timestamp: Math.floor(Date.now() / 1000) }, deterministicRng(`auth-${relay}`)));

  it('accepts AUTH signed for the configured URL and refuses it signed for the listening address', async () => {
    const listening = `ws://127.0.0.1:${gateway!.relayPort}`;
    const c = await TestClient.connect(listening);
    try {
      expect(await authFor(c, listening)).toEqual({ type: 'ERROR', command: 'AUTH', ref: alice.publicKey, reason: `auth-failed: signed for relay "${listening}", this is ${PUBLIC}` });
      expect(await authFor(c, PUBLIC)).toEqual({ type: 'OK', command: 'AUTH', ref: alice.publicKey });
    } finally {
      await c.close();
    }
  });

  it("names it in the gateway's identity document", async () => {
    const doc = (await (await fetch(`http://127.0.0.1:${gateway!.httpPort}/.well-known/lnmp`)).json()) as { relays: unknown[] };
    expect(doc.relays).toEqual([{ url: PUBLIC }]);
  });
});

describe('relayPublicUrl', () => {
  const base = { hostname: 'mail.example.com', ports: { relay: 7138 } } as const;
  it.each([
    ['set: used as it is', { ...base, mode: 'production', relayUrl: 'wss://relay.example.com' }, { url: 'wss://relay.example.com' }],
    ['production: the hostname, not the listening address', { ...base, mode: 'production' }, { url: 'ws://mail.example.com:7138' }],
    ['production on port 0: the bound address', { ...base, mode: 'production', ports: { relay: 0 } }, {}],
    ['development: the bound address', { ...base, mode: 'development' }, {}],
  ] as const)('%s', (_name, config, expected) => {
    expect(relayPublicUrl(config as unknown as Parameters<typeof relayPublicUrl>[0])).toEqual(expected);
  });
});
