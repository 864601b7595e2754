// Real IMAP clients from Debian against the IMAPS listener over a real PostgreSQL schema:
// mbsync (package isync) syncing a 500-message INBOX both ways with flags and expunges,
// and neomutt (package neomutt) reading an INBOX headless under a pseudo-terminal from
// `script` (package bsdutils). Each checks what the client and the server ended up with.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openImapGateway, PASSWORD, type ImapGateway } from './helpers/imap-gateway.js';
import type { ImapListener } from '../gateway/imap/imap-server.js';
import type { UnlockedAccount } from '../services/unlocked-account.js';

const run = promisify(execFile);
const CLIENT_TIMEOUT_MS = 30_000;

let g: ImapGateway;
let server: ImapListener;
let dir: string;
let certFile: string;

beforeAll(async () => {
  g = await openImapGateway();
  server = await g.start({ implicitTls: true });
  dir = mkdtempSync(join(tmpdir(), 'lnmp-imap-clients-'));
  certFile = join(dir, 'server-cert.pem');
  writeFileSync(certFile, g.tls.cert);
});

afterAll(async () => {
  await g.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** Message n of the test corpus (CRLF, as delivered) and its flags on the server. */
function corpus(n: number): { raw: Buffer; flags: string[] } {
  const id = String(n).padStart(3, '0');
  const raw = Buffer.from(
    `From: Bob <bob@example.test>\r\nTo: alice@example.test\r\nSubject: Sync ${id}\r\nMessage-ID: <sync-${id}@example.test>\r\nDate: Fri, 06 Jun 2025 07:08:00 +0000\r\n\r\nLine one of ${id}.\r\nLine two: ${'x'.repeat(n % 50)}\r\n`,
  );
  const flags = [...(n % 3 === 0 ? ['\\Seen'] : []), ...(n % 7 === 0 ? ['\\Flagged'] : []), ...(n % 11 === 0 ? ['\\Answered'] : [])];
  return { raw, flags };
}

/** The Maildir flag letters (sorted, as mbsync writes them) for IMAP flags. */
function maildirFlags(flags: readonly string[]): string {
  const letters: Record<string, string> = { '\\Draft': 'D', '\\Flagged': 'F', '\\Answered': 'R', '\\Seen': 'S', '\\Deleted': 'T' };
  return flags.map((f) => letters[f] ?? '').sort().join('');
}

interface MaildirMessage {
  path: string;
  subject: string;
  flags: string;
  content: Buffer;
}

function readMaildir(box: string): Map<string, MaildirMessage> {
  const out = new Map<string, MaildirMessage>();
  for (const sub of ['cur', 'new']) {
    for (const name of readdirSync(join(box, sub))) {
      const path = join(box, sub, name);
      const content = readFileSync(path);
      const subject = /^Subject: (.*)$/m.exec(content.toString('utf8'))?.[1] ?? '';
      out.set(subject, { path, subject, flags: name.includes(':2,') ? name.slice(name.indexOf(':2,') + 3) : '', content });
    }
  }
  return out;
}

/** Subject → UID, sorted flags and bytes of every message in a mailbox, read through the services. */
async function serverView(account: UnlockedAccount, mailbox: string): Promise<Map<string, { uid: number; flags: string[]; raw: Buffer }>> {
  const mb = await g.mailboxes.byName(account, mailbox);
  const metas = await g.messages.list(account, mb.id);
  const out = new Map<string, { uid: number; flags: string[]; raw: Buffer }>();
  for (const m of await g.messages.fetch(account, mb.id, metas.map((x) => x.uid))) {
    const raw = Buffer.from(m.raw);
    out.set(/^Subject: (.*)\r$/m.exec(raw.toString('utf8'))?.[1] ?? '', { uid: m.uid, flags: [...m.flags].sort(), raw });
  }
  return out;
}

/** mbsync stores LF line ends in the Maildir; otherwise the bytes are the delivered ones. */
const asMaildir = (raw: Buffer) => raw.toString('latin1').replaceAll('\r\n', '\n');

/**
 * mbsync adds one `X-TUID` header (its transfer id, even when the server answers APPENDUID)
 * at the end of the header of each message it copies, in either direction; the test checks
 * it is there once and removes it before comparing bytes.
 */
function withoutTuid(content: Buffer, eol = '\n'): string {
  const text = content.toString('latin1');
  const tuid = new RegExp(`^X-TUID: [A-Za-z0-9+/]{12}${eol}(?=${eol})`, 'm');
  expect(text.match(new RegExp(tuid.source, 'gm'))).toHaveLength(1);
  return text.replace(tuid, '');
}

/** Makes Maildir changes look older than a second, so mbsync does not wait for the clock. */
function settle(box: string): void {
  const past = new Date(Date.now() - 10_000);
  for (const sub of ['cur', 'new', 'tmp']) utimesSync(join(box, sub), past, past);
}

describe('mbsync (isync)', () => {
  it('syncs a 500-message INBOX both ways: bytes and flags down, flag changes, a new message and a deletion up', async () => {
    const TOTAL = 500;
    await Promise.all(Array.from({ length: TOTAL }, (_, i) => g.messages.deliver({ userId: g.alice.userId, raw: corpus(i + 1).raw, flags: corpus(i + 1).flags })));
    const home = join(dir, 'mbsync');
    const box = join(home, 'mail', 'INBOX');
    mkdirSync(join(home, 'mail'), { recursive: true });
    const rc = join(home, 'mbsyncrc');
    writeFileSync(
      rc,
      [
        'IMAPAccount lnmp',
        'Host 127.0.0.1',
        `Port ${server.port}`,
        'User alice@example.test',
        `Pass ${PASSWORD}`,
        'SSLType IMAPS',
        'SSLVersions TLSv1.2 TLSv1.3',
        // Trust exactly the gateway's self-signed certificate (a host certificate: matched as is).
        'SystemCertificates no',
        `CertificateFile ${certFile}`,
        '',
        'IMAPStore far',
        'Account lnmp',
        '',
        'MaildirStore near',
        `Path ${join(home, 'mail')}/`,
        `Inbox ${box}`,
        '',
        'Channel lnmp',
        'Far :far:',
        'Near :near:',
        'Patterns INBOX',
        'Sync All',
        'Create Both',
        'Expunge Both',
        'SyncState *',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    const sync = () => run('mbsync', ['-q', '-c', rc, '-a'], { timeout: CLIENT_TIMEOUT_MS, env: { ...process.env, HOME: home } });

    await sync();
    let local = readMaildir(box);
    expect(local.size).toBe(TOTAL);
    for (let n = 1; n <= TOTAL; n++) {
      const { raw, flags } = corpus(n);
      const m = local.get(`Sync ${String(n).padStart(3, '0')}`);
      expect(m?.flags, `flags of message ${n}`).toBe(maildirFlags(flags));
      expect(withoutTuid(m!.content), `bytes of message ${n}`).toBe(asMaildir(raw));
    }

    // Local changes: flags on two messages, one deleted, one written offline. Server changes: a flag, a new message.
    const rename = (subject: string, letters: string) => {
      const m = local.get(subject)!;
      renameSync(m.path, join(box, 'cur', `${m.path.slice(m.path.lastIndexOf('/') + 1, m.path.indexOf(':2,'))}:2,${letters}`));
    };
    rename('Sync 010', 'FS');
    rename('Sync 020', 'S');
    unlinkSync(local.get('Sync 030')!.path);
    const offline = 'From: alice@example.test\nTo: bob@example.test\nSubject: Written offline\nMessage-ID: <offline@example.test>\n\nHello from the Maildir.\n';
    writeFileSync(join(box, 'new', '1700000000.offline_1.host'), offline);
    settle(box);
    const account = await g.accounts.authenticate('alice@example.test', PASSWORD);
    try {
      const inbox = await g.mailboxes.byName(account, 'INBOX');
      await g.messages.store(account, inbox.id, [(await serverView(account, 'INBOX')).get('Sync 040')!.uid], 'add', ['\\Answered']);
      await g.messages.deliver({ userId: g.alice.userId, raw: corpus(TOTAL + 1).raw });

      await sync();
      const remote = await serverView(account, 'INBOX');
      expect(remote.size).toBe(TOTAL + 1);
      expect(remote.get('Sync 010')?.flags).toEqual(['\\Flagged', '\\Seen']);
      expect(remote.get('Sync 020')?.flags).toEqual(['\\Seen']);
      expect(remote.has('Sync 030')).toBe(false);
      // Stored as the client sent it: CRLF, plus the header mbsync added.
      expect(withoutTuid(remote.get('Written offline')!.raw, '\r\n')).toBe(offline.replaceAll('\n', '\r\n'));
      expect(remote.get('Sync 099')?.flags).toEqual(['\\Answered', '\\Seen']);
      local = readMaildir(box);
      expect(local.size).toBe(TOTAL + 1);
      expect(withoutTuid(local.get('Sync 501')!.content)).toBe(asMaildir(corpus(TOTAL + 1).raw));
      expect(local.get('Sync 010')?.flags).toBe('FS');
      expect(local.get('Sync 040')?.flags).toBe('R');
      expect(local.has('Sync 030')).toBe(false);
    } finally {
      account.lock();
    }
  }, 60_000);
});

describe('neomutt', () => {
  it('lists and copies the INBOX it reads and writes a flag back, headless under a pseudo-terminal', async () => {
    const subjects = ['Neomutt apple', 'Neomutt banana', 'Neomutt cherry', 'Neomutt damson', 'Neomutt elder'];
    for (const [i, subject] of subjects.entries()) {
      const raw = Buffer.from(`From: Alice <alice@example.test>\r\nTo: bob@example.test\r\nSubject: ${subject}\r\nMessage-ID: <n${i}@example.test>\r\nDate: Sat, 07 Jun 2025 0${i}:00:00 +0000\r\n\r\nBody of ${subject}.\r\n`);
      await g.messages.deliver({ userId: g.bob.userId, raw, flags: i === 1 ? ['\\Seen'] : [] });
    }
    const home = join(dir, 'neomutt');
    mkdirSync(home);
    const rc = join(home, 'muttrc');
    const copy = join(home, 'copied.mbox');
    writeFileSync(
      rc,
      [
        `set folder = "imaps://127.0.0.1:${server.port}/"`,
        'set spoolfile = "+INBOX"',
        'set imap_user = "bob@example.test"',
        `set imap_pass = "${PASSWORD}"`,
        // Trust the gateway's self-signed certificate; it names mail.example.test, not 127.0.0.1.
        `set certificate_file = "${certFile}"`,
        'set ssl_verify_host = no',
        'set header_cache = ""',
        'set message_cachedir = ""',
        'set mbox_type = mbox',
        'set confirmcreate = no',
        'set confirmappend = no',
        'set mark_old = no',
        'set quit = yes',
        'set move = no',
        'set sort = subject',
        'set mail_check_stats = no',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    // Tag everything, copy it to a local mbox, flag the first message (sorted by subject), sync, quit.
    const keys = `<tag-pattern>~A<enter><tag-prefix><copy-message>${copy}<enter><first-entry><flag-message><sync-mailbox><quit>`;
    const command = `stty cols 120 rows 30; exec neomutt -n -F ${rc} -e 'push "${keys}"'`;
    const { stdout: screen } = await run('script', ['-qec', command, '/dev/null'], { timeout: CLIENT_TIMEOUT_MS, env: { ...process.env, HOME: home, TERM: 'xterm' } });

    // The index neomutt drew lists every subject; its status line counts 5 messages, 4 of them new.
    const esc = String.fromCharCode(27);
    const text = screen.replace(new RegExp(`${esc}\\[[0-9;?]*[A-Za-z]|${esc}[()][0-9A-B]|${esc}[=>]`, 'g'), ' ');
    for (const subject of subjects) expect(text).toContain(subject);
    expect(text).toMatch(/\+INBOX \[Msgs:5 New:4/);

    const mbox = readFileSync(copy, 'latin1');
    expect(mbox.match(/^From /gm)).toHaveLength(5);
    expect([...mbox.matchAll(/^Subject: (.*)$/gm)].map((m) => m[1]).sort()).toEqual(subjects);
    for (const subject of subjects) expect(mbox).toContain(`\n\nBody of ${subject}.\n`);

    const account = await g.accounts.authenticate('bob@example.test', PASSWORD);
    try {
      const inbox = await serverView(account, 'INBOX');
      expect(subjects.map((s) => inbox.get(s)?.flags)).toEqual([['\\Flagged'], ['\\Seen'], [], [], []]);
    } finally {
      account.lock();
    }
  }, 60_000);
});
