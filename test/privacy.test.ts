// The proof of privacy, on both backends: after mail was delivered (user away), appended
// (user logged in), re-wrapped and filed into a renamed custom folder, no subject, address,
// body, Message-ID, folder name, password, mnemonic or key is found anywhere the database
// keeps data (every table, pg_dump, PGlite's data directory) in clear, hex or base64. Yet
// after login every message reads back byte-exact. A planted leak proves the scan can see.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountService } from '../services/account-service.js';
import { MailboxService } from '../services/mailbox-service.js';
import { MessageService } from '../services/message-service.js';
import { systemRng } from '../services/random.js';
import { BACKENDS, openTestDb, type TestDb } from './helpers/databases.js';
import { dumpSchema, needle, scanBytes, scanSchema, scanText, type Finding, type Needle } from './helpers/leak-scan.js';
import { pgDump } from './helpers/pg-dump.js';
import { TEST_POSTGRES_URL } from './helpers/services.js';

const kdf = { N: 1024, r: 8, p: 1 };
/** Tables the scan must have seen, or it proves nothing. */
const DATA_TABLES = ['blobs', 'changes', 'credentials', 'mailboxes', 'messages', 'thread_keys', 'users'];
/** Reading PGlite's whole data directory takes seconds, more on a loaded machine. */
const DATA_DIR_TIMEOUT_MS = 90_000;
/**
 * The PGlite data directory is ~40 MiB: it is read in clear only (latin1, and UTF-8 for
 * non-ASCII text), which still covers needles stored as hex or base64 text.
 */
const DATA_DIR_VIEWS = ['latin1', 'utf8'] as const;

function marker(kind: string): string {
  return `MARKER-${kind}-${randomBytes(16).toString('hex')}`;
}

interface Planted {
  raw: Uint8Array;
  markers: Record<'subject' | 'from' | 'to' | 'cc' | 'body' | 'msgid', string>;
}

/** A message with a distinct marker in each private field, and a random-size body. */
function plantedMessage(inReplyTo?: string): Planted {
  const m = { subject: marker('subj'), from: marker('from'), to: marker('to'), cc: marker('cc'), body: marker('body'), msgid: marker('msgid') };
  const filler = randomBytes(Math.floor(Math.random() * 6000)).toString('base64').replace(/.{76}/g, '$&\r\n');
  const raw = Buffer.from(
    [
      `From: "Sender ${m.from}" <${m.from.toLowerCase()}@remote.test>`,
      `To: "Recipient ${m.to}" <${m.to.toLowerCase()}@example.test>`,
      `Cc: ${m.cc.toLowerCase()}@remote.test`,
      `Subject: Re: ${m.subject}`,
      `Message-ID: <${m.msgid}@remote.test>`,
      ...(inReplyTo ? [`In-Reply-To: ${inReplyTo}`] : []),
      'Content-Type: text/plain; charset=utf-8',
      '',
      `Grüße, here is the secret: ${m.body}.`,
      filler,
      '',
    ].join('\r\n'),
    'utf8',
  );
  return { raw: new Uint8Array(raw), markers: m };
}

interface Stored {
  user: string;
  mailboxId: number;
  uid: number;
  raw: Uint8Array;
}

interface TestUser {
  name: string;
  address: string;
  password: string;
  folderId: number;
  folderName: string;
}

type PgliteDb = { dumpDataDir(): Promise<Blob> };

/**
 * PGlite's whole data directory as a tar. CHECKPOINT first: a row that is only in WAL may be
 * split by a WAL page header, while in a heap page a small value is always contiguous.
 */
async function pgliteDataDir(t: TestDb): Promise<Uint8Array> {
  await t.db.exec('CHECKPOINT');
  return new Uint8Array(await (await (t.db as unknown as PgliteDb).dumpDataDir()).arrayBuffer());
}

function labels(findings: readonly Finding[]): string[] {
  return [...new Set(findings.map((f) => f.needle))].sort();
}

describe('the leak matcher', () => {
  const secret = needle('secret', marker('probe'));
  const key = needle('key', new Uint8Array(randomBytes(32)));

  it('finds a needle in clear (any case), as hex and as base64 at every alignment, in text and in bytes', () => {
    const text = Buffer.from(secret.bytes).toString('latin1');
    expect(labels(scanText('t', `x ${text} y`, [secret, key]))).toEqual(['secret']);
    expect(labels(scanText('t', text.toUpperCase(), [secret]))).toEqual(['secret']);
    expect(labels(scanText('t', `\\x${Buffer.from(key.bytes).toString('hex').toUpperCase()}`, [secret, key]))).toEqual(['key']);
    for (const prefix of [0, 1, 2, 3, 4, 5]) {
      const wrapped = Buffer.concat([randomBytes(prefix), Buffer.from(key.bytes), randomBytes(prefix)]);
      expect(labels(scanText('t', wrapped.toString('base64'), [key])), `base64 after ${prefix} bytes`).toEqual(['key']);
      expect(labels(scanText('t', wrapped.toString('base64url'), [key])), `base64url after ${prefix} bytes`).toEqual(['key']);
      expect(labels(scanBytes('b', new Uint8Array(wrapped), [key], ['base64'])), `bytes read as base64 after ${prefix}`).toEqual(['key']);
      expect(labels(scanBytes('b', new Uint8Array(wrapped), [key], ['hex'])), `bytes read as hex after ${prefix}`).toEqual(['key']);
      expect(labels(scanBytes('b', new Uint8Array(wrapped), [key], ['latin1'])), `bytes read as latin1 after ${prefix}`).toEqual(['key']);
    }
    expect(scanBytes('b', new Uint8Array(randomBytes(4096)), [secret, key])).toEqual([]);
  });

  it('refuses needles too short to mean anything', () => {
    expect(() => needle('short', 'abc')).toThrow(RangeError);
  });
});

describe.each(BACKENDS)('privacy of the stored mailbox on %s', (backend) => {
  let t: TestDb;
  let accounts: AccountService;
  let mailboxes: MailboxService;
  let messages: MessageService;
  const needles: Needle[] = [];
  const stored: Stored[] = [];
  const users: TestUser[] = [];
  const planted: Planted[] = [];

  function plant(inReplyTo?: string): Uint8Array {
    const p = plantedMessage(inReplyTo);
    planted.push(p);
    for (const [field, value] of Object.entries(p.markers)) needles.push(needle(`${field} of message ${planted.length}`, value));
    return p.raw;
  }

  /** Delivers, appends, re-wraps (alice only), copies and files one user's mail. */
  async function populate(name: string, rewrap: boolean): Promise<void> {
    const address = `${name}@example.test`;
    const password = marker('password');
    const created = await accounts.createUser({ address, password });
    needles.push(needle(`password of ${name}`, password), needle(`mnemonic of ${name}`, created.mnemonic!));

    // Away: sealed to the public key only.
    for (let i = 0; i < 3; i++) {
      const raw = plant(i > 0 ? `<${planted.at(-1)!.markers.msgid}@remote.test>` : undefined);
      const d = await messages.deliver({ userId: created.userId, raw });
      stored.push({ user: name, mailboxId: d.mailboxId, uid: d.uid, raw });
    }

    const s = await accounts.authenticate(address, password);
    needles.push(needle(`identity key of ${name}`, s.privateKey.slice()), needle(`mailbox key of ${name}`, s.mailboxKey.slice()));
    const firstName = `Projects/${marker('folder')}`;
    const folderName = `Clients/${marker('folder')} é`;
    needles.push(needle(`first folder name of ${name}`, firstName), needle(`folder name of ${name}`, folderName));
    const folder = await mailboxes.create(s, firstName);
    await mailboxes.rename(s, folder.id, folderName);
    const sent = await mailboxes.byRole(s, 'sent');
    for (const mailboxId of [folder.id, folder.id, sent.id]) {
      const raw = plant();
      const a = await messages.append(s, mailboxId, raw, { flags: ['\\Seen'] });
      stored.push({ user: name, mailboxId, uid: a.uid, raw });
    }
    if (rewrap) expect(await messages.rewrapPending(s, 2)).toBe(3);
    const inbox = await mailboxes.byRole(s, 'inbox');
    const [pair] = await messages.copy(s, inbox.id, [1], folder.id);
    stored.push({ user: name, mailboxId: folder.id, uid: pair!.to, raw: stored.find((m) => m.user === name && m.mailboxId === inbox.id && m.uid === 1)!.raw });
    // Searching decrypts into memory; it must not persist anything either.
    const firstSubject = planted.at(-6)!.markers.subject;
    expect(await messages.search(s, inbox.id, { field: 'header', name: 'subject' }, firstSubject)).toEqual([1]);
    s.lock();

    // Away again: these stay sealed to the public key.
    for (let i = 0; i < 2; i++) {
      const raw = plant();
      const d = await messages.deliver({ userId: created.userId, raw });
      stored.push({ user: name, mailboxId: d.mailboxId, uid: d.uid, raw });
    }
    users.push({ name, address, password, folderId: folder.id, folderName });
  }

  beforeAll(async () => {
    t = await openTestDb(backend);
    accounts = new AccountService(t.db, { rng: systemRng, kdf });
    mailboxes = new MailboxService(t.db, { rng: systemRng });
    messages = new MessageService(t.db, { rng: systemRng });
    await accounts.addDomain('example.test');
    await populate('alice', true);
    await populate('bob', false);
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('stores both forms: sealed to the public key (1) and under the mailbox key (2)', async () => {
    const rows = await t.db.query<{ address: string; seal: number; n: number }>(
      'SELECT u.address, b.seal, count(*)::int8 AS n FROM blobs b JOIN users u ON u.id = b.user_id GROUP BY u.address, b.seal ORDER BY u.address, b.seal',
    );
    expect(rows).toEqual([
      { address: 'alice@example.test', seal: 1, n: 2 },
      { address: 'alice@example.test', seal: 2, n: 6 },
      { address: 'bob@example.test', seal: 1, n: 5 },
      { address: 'bob@example.test', seal: 2, n: 3 },
    ]);
  });

  it('no table holds a marker, password, mnemonic or key: in clear, hex or base64', async () => {
    const tables = await dumpSchema(t.db);
    expect(tables.map((d) => d.name)).toEqual(expect.arrayContaining(DATA_TABLES));
    // The scan read the data it claims to have checked.
    const count = (name: string) => tables.find((d) => d.name === name)!.rows.length;
    expect(count('messages')).toBe(stored.length);
    expect(count('blobs')).toBe(stored.length - users.length);
    expect(count('thread_keys')).toBeGreaterThan(0);
    expect(needles.length).toBeGreaterThan(6 * planted.length);
    expect(scanSchema(tables, needles)).toEqual([]);
  });

  if (backend === 'postgres') {
    it('the real pg_dump of the schema shows none of them either', async () => {
      const dump = await pgDump(TEST_POSTGRES_URL, t.schema!);
      expect(dump).toContain(`COPY ${t.schema}.blobs`);
      expect(dump).toContain(`COPY ${t.schema}.messages`);
      expect(scanText('pg_dump', dump, needles)).toEqual([]);
    });
  } else {
    it("PGlite's raw data directory (heap files, dead tuples, WAL) shows none of them either", async () => {
      const dir = await pgliteDataDir(t);
      expect(dir.length).toBeGreaterThan(1024 * 1024);
      expect(scanBytes('PGlite data directory', dir, needles, DATA_DIR_VIEWS)).toEqual([]);
    }, DATA_DIR_TIMEOUT_MS);
  }

  it('after unlock, every message fetches byte-exact and folder names read back', async () => {
    for (const u of users) {
      const s = await accounts.authenticate(u.address, u.password);
      try {
        const mine = stored.filter((m) => m.user === u.name);
        for (const m of mine) {
          const [fetched] = await messages.fetch(s, m.mailboxId, [m.uid]);
          expect(fetched, `${u.address} mailbox ${m.mailboxId} uid ${m.uid}`).toBeDefined();
          expect(Buffer.from(fetched!.raw).equals(Buffer.from(m.raw)), `${u.address} mailbox ${m.mailboxId} uid ${m.uid} is byte-exact`).toBe(true);
          expect(fetched!.size).toBe(m.raw.length);
        }
        const all = await mailboxes.list(s);
        expect(all.reduce((n, mb) => n + mb.messages, 0)).toBe(mine.length);
        expect((await mailboxes.get(s, u.folderId)).name).toBe(u.folderName);
        expect((await mailboxes.byName(s, u.folderName)).id).toBe(u.folderId);
        expect(all.map((mb) => mb.name)).toContain(u.folderName);
      } finally {
        s.lock();
      }
    }
  });

  it('negative control: the same scans find a leak planted in clear, hex and base64', async () => {
    const [first, second, third] = planted;
    const mailboxKey = needles.find((n) => n.label === 'mailbox key of alice')!;
    const folder = users[0]!.folderName;
    const expected = [
      'body of message 1', 'folder name of alice', 'from of message 2', 'mailbox key of alice', 'subject of message 1', 'to of message 3',
    ];
    await t.db.exec('CREATE TABLE leak_probe (note text, data bytea, meta jsonb)');
    try {
      const enc = (s: string) => Buffer.from(s, 'utf8');
      await t.db.query('INSERT INTO leak_probe (note) VALUES ($1)', [`subject was ${first!.markers.subject}`]);
      await t.db.query('INSERT INTO leak_probe (data) VALUES ($1)', [new Uint8Array(Buffer.concat([randomBytes(5), enc(first!.markers.body), randomBytes(7)]))]);
      await t.db.query('INSERT INTO leak_probe (note) VALUES ($1)', [Buffer.concat([randomBytes(1), enc(second!.markers.from)]).toString('base64')]);
      await t.db.query('INSERT INTO leak_probe (meta) VALUES ($1)', [{ x: enc(third!.markers.to).toString('hex') }]);
      await t.db.query('INSERT INTO leak_probe (data) VALUES ($1)', [new Uint8Array(Buffer.concat([randomBytes(32), mailboxKey.bytes]))]);
      await t.db.query('INSERT INTO leak_probe (note) VALUES ($1)', [folder.toUpperCase()]);

      const findings = scanSchema(await dumpSchema(t.db), needles);
      expect(labels(findings)).toEqual(expected);
      expect(findings.filter((f) => !f.where.startsWith('leak_probe'))).toEqual([]);
      if (backend === 'postgres') {
        expect(labels(scanText('pg_dump', await pgDump(TEST_POSTGRES_URL, t.schema!), needles))).toEqual(expected);
      } else {
        const dir = await pgliteDataDir(t);
        expect(labels(scanBytes('PGlite data directory', dir, needles, DATA_DIR_VIEWS))).toEqual(expected);
      }
    } finally {
      await t.db.exec('DROP TABLE leak_probe');
    }
  }, DATA_DIR_TIMEOUT_MS);
});
