// One gateway for the postage tests: embedded database, a resolver that makes sender.test
// pass SPF with its MX on a recorded remote MX (test/helpers/remote-mx.ts), user alice, and
// the clients the tests speak through (SMTP to the MX, IMAP, the CLI).
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
import { RemoteMx } from './remote-mx.js';

export const PASSWORD = 'correct horse battery';
const WAIT_MS = 15_000;

export interface PostageCaseJson {
  id: number;
  state: string;
  amountSats: number;
  events: Array<{ state: string; reason: string }>;
}

export interface PostageGateway {
  readonly gateway: RunningGateway;
  readonly remote: RemoteMx;
  readonly logLines: string[];
  readonly resolver: DNSResolver;
  cli(args: string[], stdin?: string): Promise<{ code: number; out: string; err: string }>;
  send(envelopeFrom: string, raw: string): Promise<void>;
  imap(): Promise<ImapFlow>;
  cases(): Promise<PostageCaseJson[]>;
  close(): Promise<void>;
}

export function message(from: string, subject: string, extra = ''): string {
  return `From: Bob <${from}>\r\nTo: alice@example.test\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '-')}@sender.test>\r\nDate: Sat, 28 Nov 2026 10:00:00 +0000\r\n${extra}\r\nHello Alice.\r\n`;
}

/** The message with this subject in `mailbox`, with its flags (keywords included). */
export async function find(client: ImapFlow, mailbox: string, subject: string): Promise<{ uid: number; flags: Set<string> } | undefined> {
  const lock = await client.getMailboxLock(mailbox);
  try {
    for await (const m of client.fetch('1:*', { uid: true, flags: true, envelope: true })) {
      if (m.envelope?.subject === subject) return { uid: m.uid, flags: m.flags ?? new Set() };
    }
    return undefined;
  } finally {
    lock.release();
  }
}

/** Moves one message by UID. */
export async function move(client: ImapFlow, from: string, uid: number, to: string): Promise<void> {
  const lock = await client.getMailboxLock(from);
  try {
    await client.messageMove(String(uid), to, { uid: true });
  } finally {
    lock.release();
  }
}

export async function eventually<T>(what: string, probe: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${WAIT_MS} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The first BOLT11 invoice on a line of its own in a message. */
export function invoiceIn(data: Buffer): string {
  return /^(lnbcrt[0-9a-z]+)\r$/m.exec(data.toString('utf8'))![1]!;
}

export async function startPostageGateway(extraEnv: Record<string, string> = {}): Promise<PostageGateway> {
  const root = mkdtempSync(join(tmpdir(), 'lnmp-postage-'));
  const remote = new RemoteMx();
  await remote.listen();
  const logLines: string[] = [];
  let dkimTxt = '';
  /** sender.test: SPF allows 127.0.0.1, its MX is the remote MX; our DKIM key once known. */
  const resolver: DNSResolver = async (name, rrtype) => {
    const n = name.toLowerCase();
    if (rrtype === 'TXT' && n === 'sender.test') return [['v=spf1 ip4:127.0.0.1 -all']];
    if (rrtype === 'TXT' && n.endsWith('._domainkey.example.test') && dkimTxt !== '') return [[dkimTxt]];
    if (rrtype === 'MX' && n === 'sender.test') return [{ exchange: 'mx.sender.test', priority: 10 }] as unknown as string[];
    if (rrtype === 'A' && n === 'mx.sender.test') return ['127.0.0.1'];
    throw Object.assign(new Error(`query${rrtype} ENOTFOUND ${name}`), { code: rrtype === 'AAAA' && n === 'mx.sender.test' ? 'ENODATA' : 'ENOTFOUND' });
  };
  const env = {
    LNMP_DATA_DIR: join(root, 'data'),
    LNMP_HOSTNAME: 'mx.example.test',
    LNMP_HTTP_PORT: '0', LNMP_SMTP_PORT: '0', LNMP_SUBMISSION_PORT: '0', LNMP_IMAP_PORT: '0', LNMP_IMAPS_PORT: '0', LNMP_RELAY_PORT: '0',
    LNMP_OUTBOUND_PORT: String(remote.port),
    ...extraEnv,
  };
  await seedPgliteDataDir(env.LNMP_DATA_DIR);
  const { config } = loadConfig({ env, readFile: () => '' });
  const gateway = await startGateway(config, createLogger({ level: 'info', write: (line) => void logLines.push(line) }), { resolver });
  const cli = async (args: string[], stdin?: string) => {
    const io = fakeIo(env, {}, stdin === undefined ? {} : { text: stdin });
    const code = await runCli(args, io);
    return { code, out: io.out(), err: io.err() };
  };
  const added = await cli(['user', 'add', 'alice@example.test', '--password-stdin'], `${PASSWORD}\n`);
  expect(added.code, added.err).toBe(0);
  const records = JSON.parse((await cli(['domain', 'dns', 'example.test', '--json'])).out) as Array<{ name: string; type: string; value: string }>;
  dkimTxt = records.find((r) => r.type === 'TXT' && r.name.includes('._domainkey.'))!.value;
  return {
    gateway,
    remote,
    logLines,
    resolver,
    cli,
    async send(envelopeFrom, raw) {
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port: gateway.smtpPort, secure: false, ignoreTLS: true, name: 'client.sender.test' });
      try {
        await transport.sendMail({ envelope: { from: envelopeFrom, to: ['alice@example.test'] }, raw });
      } finally {
        transport.close();
      }
    },
    async imap() {
      const client = new ImapFlow({ host: '127.0.0.1', port: gateway.imapsPort, secure: true, tls: { rejectUnauthorized: false }, auth: { user: 'alice@example.test', pass: PASSWORD }, logger: false });
      await client.connect();
      return client;
    },
    async cases() {
      const shown = await cli(['postage', 'show', 'alice@example.test', '--json']);
      expect(shown.code, shown.err).toBe(0);
      return (JSON.parse(shown.out) as { cases: PostageCaseJson[] }).cases;
    },
    async close() {
      await gateway.close();
      await remote.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
