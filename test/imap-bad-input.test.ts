// Bad input to the IMAP listener, each with the exact answer the client sees, over IMAPS and a
// real PostgreSQL schema: literals over the limits, a line that never ends, NUL bytes, bad
// commands until the engine hangs up, another user's mailbox names. After each case a
// bystander session of the same user, open all along, still works.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openImapGateway, PASSWORD, type ImapGateway } from './helpers/imap-gateway.js';
import { RawImapSession } from './helpers/imap-session.js';
import type { ImapListener } from '../gateway/imap/imap-server.js';
import { LINE_TOO_LONG } from '../gateway/imap/line-limit.js';
import { ENGINE_MAX_BAD_COMMANDS, ENGINE_MAX_NON_APPEND_LITERAL_BYTES, IMAP_MAX_COMMAND_BYTES, IMAP_MAX_MESSAGE_BYTES } from '../gateway/imap/limits.js';

let g: ImapGateway;
let server: ImapListener;
let bystander: RawImapSession;

beforeAll(async () => {
  g = await openImapGateway();
  server = await g.start({ implicitTls: true });
  const account = await g.accounts.authenticate('alice@example.test', PASSWORD);
  await g.messages.append(account, (await g.mailboxes.byName(account, 'INBOX')).id, Buffer.from('Subject: still here\r\n\r\nBody.\r\n'));
  account.lock();
  bystander = await login('alice@example.test');
  await bystander.command('SELECT INBOX');
});

afterAll(async () => {
  await g.dispose();
});

afterEach(async () => {
  // The other session of the same user is unaffected by whatever the test sent.
  const lines = await bystander.command('FETCH 1 (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])');
  expect(lines.slice(0, -1)).toEqual(['* 1 FETCH (FLAGS () BODY[HEADER.FIELDS (SUBJECT)] {23}', 'Subject: still here', '', ')']);
  expect(lines.at(-1)).toMatch(/^T\d+ OK FETCH completed$/);
});

async function login(user: string): Promise<RawImapSession> {
  const { session } = await RawImapSession.open(server.port, { tls: true });
  const ok = await session.command(`LOGIN ${user} ${PASSWORD}`);
  expect(ok.at(-1)).toBe(`T1 OK ${user} authenticated`);
  return session;
}

describe('IMAP bad input', () => {
  it('refuses literals over the limits with the exact NO and keeps the session', async () => {
    const s = await login('alice@example.test');
    s.write(`L1 CREATE {${ENGINE_MAX_NON_APPEND_LITERAL_BYTES + 1}}\r\n`);
    expect(await s.line()).toBe('L1 NO Literal too large');
    const big = IMAP_MAX_MESSAGE_BYTES + 1;
    s.write(`L2 APPEND INBOX {${big}}\r\n`);
    expect(await s.line()).toBe(`L2 NO [TOOBIG] Message size exceeds allowed limit: attempted ${big} bytes, but maximum allowed is ${IMAP_MAX_MESSAGE_BYTES} bytes.`);
    // LITERAL+ is not offered, so a non-synchronising literal is a syntax error, not a message.
    s.write('L3 APPEND INBOX {5+}\r\n');
    expect(await s.line()).toBe('L3 BAD Unexpected char at position 18 [E25: "+"]');
    expect(await s.command('NOOP')).toEqual(['T2 OK Nothing done']);
    await s.command('LOGOUT');
  });

  it(`ends a connection whose line passes ${IMAP_MAX_COMMAND_BYTES} bytes without CRLF with * BYE`, async () => {
    const s = await login('alice@example.test');
    s.write(`X1 SEARCH TEXT ${'a'.repeat(1024 * 1024)}`);
    expect(await s.rest()).toEqual([`* BYE ${LINE_TOO_LONG}`]);
    // The same through many small literals, each within the engine's literal limit.
    const t = await login('alice@example.test');
    let sent = 0;
    t.write('X2 SEARCH OR');
    while (sent <= IMAP_MAX_COMMAND_BYTES) {
      t.write(` TEXT {1000}\r\n${'b'.repeat(1000)}`);
      sent += 1000;
    }
    const lines = await t.rest();
    expect(lines.filter((l) => l !== '+ Go ahead')).toEqual([`* BYE ${LINE_TOO_LONG}`]);
  });

  it('answers NUL bytes with BAD or NO and keeps the session', async () => {
    const { session: s } = await RawImapSession.open(server.port, { tls: true });
    expect(await s.command('LOGIN al\0ice x')).toEqual(['T1 BAD Unexpected char at position 11 [E16: "\\u0000"]']);
    await s.command(`LOGIN alice@example.test ${PASSWORD}`);
    expect(await s.command('SELECT "IN\0BOX"')).toEqual(['T3 NO [CANNOT] SELECT completed']);
    expect(await s.command('CREATE "a\0b"')).toEqual(['T4 NO [CANNOT] CREATE completed']);
    expect(await s.command('NOOP')).toEqual(['T5 OK Nothing done']);
    await s.command('LOGOUT');
  });

  it(`disconnects a client after ${ENGINE_MAX_BAD_COMMANDS} bad commands with the exact BYE`, async () => {
    const s = await login('alice@example.test');
    let script = '';
    for (let i = 1; i <= ENGINE_MAX_BAD_COMMANDS + 5; i++) script += `B${i} FROBNICATE\r\n`;
    s.write(script);
    const lines = await s.rest();
    const expected = Array.from({ length: ENGINE_MAX_BAD_COMMANDS + 1 }, (_, i) => `B${i + 1} BAD Unknown command: FROBNICATE`);
    expect(lines).toEqual([...expected, '* BYE Too many protocol errors']);
  });

  it("does not show or open another user's mailboxes", async () => {
    const bob = await g.accounts.authenticate('bob@example.test', PASSWORD);
    const secret = await g.mailboxes.create(bob, 'Bob Secret');
    await g.messages.append(bob, secret.id, Buffer.from('Subject: for bob only\r\n\r\nx\r\n'));
    bob.lock();
    const s = await login('alice@example.test');
    const names = (await s.command('LIST "" "*"')).filter((l) => l.startsWith('* LIST'));
    expect(names.some((l) => l.includes('Bob'))).toBe(false);
    expect(await s.command('LIST "" "Bob*"')).toEqual(['T3 OK LIST completed']);
    expect(await s.command('LIST "" "%/Bob Secret"')).toEqual(['T4 OK LIST completed']);
    expect(await s.command('SELECT "Bob Secret"')).toEqual(['T5 NO [NONEXISTENT] SELECT completed']);
    expect(await s.command('STATUS "Bob Secret" (MESSAGES)')).toEqual(['T6 NO [NONEXISTENT] STATUS completed']);
    expect(await s.command('SELECT "bob@example.test/Bob Secret"')).toEqual(['T7 NO [NONEXISTENT] SELECT completed']);
    expect(await s.command('DELETE "Bob Secret"')).toEqual(['T8 NO [NONEXISTENT] DELETE completed']);
    expect(await s.command('RENAME "Bob Secret" Mine')).toEqual(['T9 NO [NONEXISTENT] RENAME completed']);
    // The same name for alice is a mailbox of her own; bob's keeps its message.
    expect(await s.command('CREATE "Bob Secret"')).toEqual(['T10 OK CREATE completed']);
    expect(await s.command('STATUS "Bob Secret" (MESSAGES)')).toEqual(['* STATUS "Bob Secret" (MESSAGES 0)', 'T11 OK STATUS completed']);
    await s.command('LOGOUT');
    const b = await login('bob@example.test');
    expect(await b.command('STATUS "Bob Secret" (MESSAGES)')).toEqual(['* STATUS "Bob Secret" (MESSAGES 1)', 'T2 OK STATUS completed']);
    await b.command('LOGOUT');
  });

  it('answers commands in the wrong state and invalid sequence sets with BAD', async () => {
    const s = await login('alice@example.test');
    expect(await s.command('FETCH 1 (FLAGS)')).toEqual(['T2 BAD FETCH not allowed now']);
    expect(await s.command(`LOGIN alice@example.test ${PASSWORD}`)).toEqual(['T3 BAD LOGIN not allowed now']);
    await s.command('SELECT INBOX');
    // Sequence number and UID 0 do not exist (nz-number); the engine alone read them as 1.
    expect(await s.command('FETCH 0 (FLAGS)')).toEqual(['T5 BAD Invalid sequence set for FETCH']);
    expect(await s.command('STORE 0:1 +FLAGS (\\Deleted)')).toEqual(['T6 BAD Invalid sequence set for STORE']);
    expect(await s.command('UID COPY 1,0 Trash')).toEqual(['T7 BAD Invalid sequence set for UID COPY']);
    expect(await s.command('FETCH 1:x (FLAGS)')).toEqual(['T8 BAD Unexpected char at position 11 [E33: "x"]']);
    expect(await s.command('UID STORE * FLAGS')).toEqual(['T9 BAD Not enough arguments provided']);
    expect(await s.command('FETCH 1 (FLAGS)')).toEqual(['* 1 FETCH (FLAGS ())', 'T10 OK FETCH completed']);
    await s.command('LOGOUT');
  });
});
