// IMAP login over real sockets and a real PostgreSQL schema: LOGINDISABLED until STARTTLS,
// LOGIN and AUTHENTICATE PLAIN with password or app password, the exact NO of a failure and
// of throttling, IMAPS, and the unlocked key being locked again when the connection ends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawImapSession } from '../../test/helpers/imap-session.js';
import { openImapGateway, PASSWORD, type ImapGateway } from '../../test/helpers/imap-gateway.js';
import type { ImapListener } from './imap-server.js';

let g: ImapGateway;
let starttls: ImapListener;
let imaps: ImapListener;

beforeAll(async () => {
  g = await openImapGateway();
  starttls = await g.start();
  imaps = await g.start({ implicitTls: true });
});

afterAll(async () => {
  await g.dispose();
});

const plain = (user: string, pass: string) => Buffer.from(`\0${user}\0${pass}`).toString('base64');

/** CAPABILITY's atoms, without the leading `* CAPABILITY`. */
function capabilities(lines: string[]): string[] {
  const line = lines.find((l) => l.startsWith('* CAPABILITY '));
  return line ? line.slice('* CAPABILITY '.length).split(' ') : [];
}

describe('IMAP login', () => {
  it('advertises LOGINDISABLED and refuses LOGIN and AUTHENTICATE before STARTTLS, then logs in over TLS', async () => {
    const { session, greeting } = await RawImapSession.open(starttls.port);
    expect(greeting).toMatch(/^\* OK LNMP Gateway ready for requests from 127\.0\.0\.1 [a-z0-9]+$/);
    const before = capabilities(await session.command('CAPABILITY'));
    expect(before).toEqual(expect.arrayContaining(['IMAP4rev1', 'STARTTLS', 'LOGINDISABLED']));
    expect((await session.command(`LOGIN alice@example.test ${PASSWORD}`)).at(-1)).toBe('T2 BAD Run STARTTLS first');
    expect((await session.command(`AUTHENTICATE PLAIN ${plain('alice@example.test', PASSWORD)}`)).at(-1)).toBe('T3 BAD Run STARTTLS first');
    await session.startTls();
    const after = capabilities(await session.command('CAPABILITY'));
    expect(after).not.toContain('LOGINDISABLED');
    expect(after).not.toContain('STARTTLS');
    expect(after).toContain('AUTH=PLAIN');
    expect((await session.command('LOGIN alice@example.test wrong-password')).at(-1)).toBe('T6 NO [AUTHENTICATIONFAILED] Invalid credentials');
    const ok = await session.command(`LOGIN alice@example.test ${PASSWORD}`);
    expect(ok.at(-1)).toBe('T7 OK alice@example.test authenticated');
    expect(capabilities(ok)).toEqual(expect.arrayContaining(['IDLE', 'MOVE', 'UIDPLUS', 'CONDSTORE', 'SPECIAL-USE', 'QUOTA', 'NAMESPACE', 'UTF8=ACCEPT']));
    expect((await session.command('LOGOUT')).at(-1)).toBe('T8 OK LOGOUT completed');
  });

  it('AUTHENTICATE PLAIN with an app password (initial response and continuation), wrong credentials answered NO', async () => {
    const account = await g.accounts.authenticate('alice@example.test', PASSWORD);
    const app = await g.accounts.addAppPassword(account, 'imap test');
    account.lock();
    const { session } = await RawImapSession.open(imaps.port, { tls: true });
    expect((await session.command(`AUTHENTICATE PLAIN ${plain('alice@example.test', 'not-it')}`)).at(-1)).toBe('T1 NO [AUTHENTICATIONFAILED] Invalid credentials');
    session.write('T2 AUTHENTICATE PLAIN\r\n');
    expect(await session.line()).toBe('+');
    session.write(`${plain('alice@example.test', app)}\r\n`);
    let line;
    do line = await session.line();
    while (!line.startsWith('T2 '));
    expect(line).toBe('T2 OK alice@example.test authenticated');
    await session.command('LOGOUT');
  });

  it('throttles an account after repeated failures: NO [LIMIT] even for the right password; other accounts unaffected', async () => {
    const listener = await g.start({ implicitTls: true, limits: { accountFailures: 2, ipFailures: 100, windowMs: 60_000 } });
    const { session } = await RawImapSession.open(listener.port, { tls: true });
    expect((await session.command('LOGIN bob@example.test nope-nope')).at(-1)).toBe('T1 NO [AUTHENTICATIONFAILED] Invalid credentials');
    expect((await session.command('LOGIN bob@example.test nope-nope')).at(-1)).toBe('T2 NO [AUTHENTICATIONFAILED] Invalid credentials');
    expect((await session.command(`LOGIN bob@example.test ${PASSWORD}`)).at(-1)).toBe('T3 NO [LIMIT] Too many failed logins, try again later');
    expect((await session.command(`AUTHENTICATE PLAIN ${plain('bob@example.test', PASSWORD)}`)).at(-1)).toBe('T4 NO [LIMIT] Too many failed logins, try again later');
    expect((await session.command(`LOGIN alice@example.test ${PASSWORD}`)).at(-1)).toBe('T5 OK alice@example.test authenticated');
    await session.command('LOGOUT');
  });

  it('imapflow logs in over IMAPS and over STARTTLS; each connection locks its key when it ends', async () => {
    const before = g.unlocked.length;
    const a = await g.client(imaps.port);
    const b = await g.client(starttls.port, { secure: false, doSTARTTLS: true });
    expect(a.authenticated).toBeTruthy();
    expect(b.authenticated).toBeTruthy();
    const mine = g.unlocked.slice(before);
    expect(mine.map((acc) => acc.locked)).toEqual([false, false]);
    await a.logout();
    await b.logout();
    await expect.poll(() => mine.map((acc) => acc.locked), { timeout: 2000 }).toEqual([true, true]);
  });

  it('allows LOGIN without TLS only on a loopback listener started with allowPlainLoginOnLoopback', async () => {
    const dev = await g.start({ allowPlainLoginOnLoopback: true });
    const { session } = await RawImapSession.open(dev.port);
    const caps = capabilities(await session.command('CAPABILITY'));
    expect(caps).toContain('STARTTLS');
    expect(caps).not.toContain('LOGINDISABLED');
    expect((await session.command(`LOGIN alice@example.test ${PASSWORD}`)).at(-1)).toBe('T2 OK alice@example.test authenticated');
    await session.command('LOGOUT');
  });

  it('answers commands in the wrong state and unknown commands with the exact BAD, and keeps the session', async () => {
    const { session } = await RawImapSession.open(imaps.port, { tls: true });
    expect(await session.command('SELECT INBOX')).toEqual(['T1 BAD SELECT not allowed now']);
    expect(await session.command('FROBNICATE')).toEqual(['T2 BAD Unknown command: FROBNICATE']);
    expect(await session.command('NOOP')).toEqual(['T3 OK Nothing done']);
    await session.command(`LOGIN alice@example.test ${PASSWORD}`);
    expect(await session.command('FETCH 1 FLAGS')).toEqual(['T5 BAD FETCH not allowed now']);
    await session.command('SELECT INBOX');
    expect(await session.command('FETCH 1:x FLAGS')).toEqual(['T7 BAD Unexpected char at position 11 [E33: "x"]']);
    expect(await session.command('STORE 1 +FLAGS (\\Bogus)')).toEqual(['T8 BAD Invalid system flag argument for STORE']);
    await session.command('LOGOUT');
  });
});
