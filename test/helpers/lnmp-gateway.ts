// Gateways that reach each other over LNMP in one test: each hosts its own domain on its own
// embedded database and relay, and a shared DNS zone publishes each domain's `_lnmp` record
// (its gateway key and identity-document URL on the loopback HTTP port). No MX records: mail
// between them can only travel as LNMP.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { expect } from 'vitest';
import { loadConfig } from '../../config/load.js';
import { runCli } from '../../gateway/cli/program.js';
import { createLogger } from '../../gateway/log.js';
import { startGateway, type RunningGateway } from '../../gateway/server.js';
import type { DNSResolver } from '../../gateway/smtp/authentication.js';
import { seedPgliteDataDir } from './databases.js';
import { fakeIo } from './fake-io.js';

export const PASSWORD = 'correct horse battery';

/** TXT records by lowercase name, shared by the gateways of one test. */
export type LnmpZone = Map<string, string>;

export function zoneResolver(zone: LnmpZone): DNSResolver {
  return async (name, rrtype) => {
    const txt = zone.get(name.toLowerCase());
    if (rrtype === 'TXT' && txt !== undefined) return [[txt]];
    throw Object.assign(new Error(`query${rrtype} ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
  };
}

export interface LnmpGateway {
  readonly domain: string;
  readonly gateway: RunningGateway;
  readonly logLines: string[];
  cli(args: string[], stdin?: string): Promise<{ code: number; out: string; err: string }>;
  /** Creates a user; returns its LNMP address. */
  addUser(local: string): Promise<string>;
  submit(user: string, message: { from: string; to: string; raw: string }): Promise<void>;
  imap(user: string): Promise<ImapFlow>;
  /** One series' value from /metrics, e.g. `lnmp_connections_total{protocol="smtp"}`; 0 when absent. */
  metric(series: string): Promise<number>;
  /** Stops the gateway, waits `downMs`, and starts it again on the same data and ports. */
  restart(downMs: number): Promise<void>;
  close(): Promise<void>;
}

export async function startLnmpGateway(domain: string, zone: LnmpZone, extraEnv: Record<string, string> = {}): Promise<LnmpGateway> {
  const root = mkdtempSync(join(tmpdir(), `lnmp-${domain}-`));
  const logLines: string[] = [];
  const env = {
    LNMP_DATA_DIR: join(root, 'data'),
    LNMP_DOMAIN: domain,
    LNMP_HOSTNAME: `mail.${domain}`,
    LNMP_HTTP_PORT: '0', LNMP_SMTP_PORT: '0', LNMP_SUBMISSION_PORT: '0', LNMP_IMAP_PORT: '0', LNMP_IMAPS_PORT: '0', LNMP_RELAY_PORT: '0',
    ...extraEnv,
  };
  await seedPgliteDataDir(env.LNMP_DATA_DIR);
  const start = (vars: Record<string, string>) =>
    startGateway(loadConfig({ env: vars, readFile: () => '' }).config, createLogger({ level: 'info', write: (line) => void logLines.push(line) }), { resolver: zoneResolver(zone) });
  let gateway = await start(env);
  const base = `http://127.0.0.1:${gateway.httpPort}`;
  const doc = (await (await fetch(`${base}/.well-known/lnmp`)).json()) as { publicKey: string };
  zone.set(`_lnmp.${domain}`, `v=LNMP1; k=${doc.publicKey}; u=${base}/.well-known/lnmp`);
  const cli = async (args: string[], stdin?: string) => {
    const io = fakeIo(env, {}, stdin === undefined ? {} : { text: stdin });
    const code = await runCli(args, io);
    return { code, out: io.out(), err: io.err() };
  };
  return {
    domain,
    get gateway() {
      return gateway;
    },
    logLines,
    cli,
    async addUser(local) {
      const added = await cli(['user', 'add', `${local}@${domain}`, '--password-stdin', '--json'], `${PASSWORD}\n`);
      expect(added.code, added.err).toBe(0);
      return (JSON.parse(added.out) as { lnmpAddress: string }).lnmpAddress;
    },
    async submit(user, message) {
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port: gateway.submissionPort, secure: false, requireTLS: true, tls: { rejectUnauthorized: false }, auth: { user, pass: PASSWORD } });
      try {
        await transport.sendMail({ envelope: { from: message.from, to: [message.to] }, raw: message.raw });
      } finally {
        transport.close();
      }
    },
    async imap(user) {
      const client = new ImapFlow({ host: '127.0.0.1', port: gateway.imapsPort, secure: true, tls: { rejectUnauthorized: false }, auth: { user, pass: PASSWORD }, logger: false });
      await client.connect();
      return client;
    },
    async metric(series) {
      const text = await (await fetch(`${base}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      return line === undefined ? 0 : Number(line.split(' ').at(-1));
    },
    async restart(downMs) {
      const ports = { LNMP_HTTP_PORT: gateway.httpPort, LNMP_SMTP_PORT: gateway.smtpPort, LNMP_SUBMISSION_PORT: gateway.submissionPort, LNMP_IMAP_PORT: gateway.imapPort, LNMP_IMAPS_PORT: gateway.imapsPort, LNMP_RELAY_PORT: gateway.relayPort };
      await gateway.close();
      await new Promise((r) => setTimeout(r, downMs));
      gateway = await start({ ...env, ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])) });
    },
    async close() {
      await gateway.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
