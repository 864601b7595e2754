// `npm run bench -- storage`: the sealed mailbox on a real PostgreSQL (DATABASE_URL, default
// the machine's test database, in a fresh schema that is dropped afterwards). Measures
// deliveries with 20 concurrent writers, APPEND from 8 sessions of one account, listing a 100k-message mailbox, unlock + re-wrap,
// fetch + decrypt, search and peak RSS; the baseline is a plain INSERT of the same bytes.
import { randomBytes } from 'node:crypto';
import { openPostgres, type Db } from '../storage/db.js';
import { migrate } from '../storage/migrate.js';
import { AccountService } from '../services/account-service.js';
import { MailboxService } from '../services/mailbox-service.js';
import { MessageService } from '../services/message-service.js';
import { systemRng } from '../services/random.js';
import { fmt } from './measure.js';

const URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const WRITERS = 20;
const DELIVERIES = 4000;
const LIST_SIZE = 100_000;
const REWRAP_SIZE = 10_000;
const FETCH_SIZE = 1000;
const PASSWORD = 'bench-password';
const APPENDS = 3000;
const APPENDERS = 8;

function message(i: number, size = 4096): Uint8Array {
  const head = `From: Sender ${i} <s${i}@remote.test>\r\nTo: user@bench.test\r\nSubject: Message number ${i}\r\nMessage-ID: <m${i}@remote.test>\r\n\r\n`;
  const word = i % 100 === 0 ? 'needle ' : 'hay ';
  const body = (word + 'lorem ipsum dolor sit amet '.repeat(200)).slice(0, size - head.length);
  return new TextEncoder().encode(head + body);
}

/** A 4 KiB message of the APPEND run; odd ones reply to the one before. */
function threadedMessage(i: number): Uint8Array {
  const reply = i % 2 === 1 ? `In-Reply-To: <a${i - 1}@remote.test>\r\nReferences: <a${i - 1}@remote.test>\r\n` : '';
  const head = `From: Sender <s@remote.test>\r\nTo: user@bench.test\r\nSubject: Appended ${i}\r\nMessage-ID: <a${i}@remote.test>\r\n${reply}\r\n`;
  return new TextEncoder().encode(head + 'lorem ipsum dolor sit amet '.repeat(160).slice(0, 4096 - head.length));
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

async function pool<T>(count: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) await fn(next++);
  }));
}

export async function runStorageBench(): Promise<void> {
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const admin = await openPostgres(URL, { poolSize: 1 });
  await admin.exec(`CREATE SCHEMA ${schema}`);
  let db: Db | undefined;
  try {
    db = await openPostgres(URL, { schema, poolSize: WRITERS });
    await migrate(db);
    await run(db);
  } finally {
    await db?.close();
    await admin.exec(`DROP SCHEMA ${schema} CASCADE`);
    await admin.close();
  }
}

async function run(db: Db): Promise<void> {
  const accounts = new AccountService(db, { rng: systemRng });
  const mailboxes = new MailboxService(db, { rng: systemRng });
  const messages = new MessageService(db, { rng: systemRng });
  await accounts.addDomain('bench.test');
  const users: Array<{ userId: number }> = [];
  for (let i = 0; i < WRITERS; i++) users.push(await accounts.createUser({ address: `w${i}@bench.test`, password: PASSWORD }));
  const results: Record<string, { value: number; unit: string; target?: string; baseline?: number }> = {};

  // 1. Deliveries: 20 writers, each to its own recipient, 4 KiB each, seal + commit.
  const raw4k = Array.from({ length: 50 }, (_, i) => message(i));
  const baseline = await timed(() => pool(DELIVERIES, WRITERS, (i) => db.query('INSERT INTO relay_state (relay_url) VALUES ($1)', [`x${i}-${Buffer.from(raw4k[i % 50]!).toString('base64').slice(0, 8)}`])));
  const plainBlob = await timed(() => pool(DELIVERIES, WRITERS, (i) => db.query('INSERT INTO blobs (user_id, seal, data, size) VALUES ($1, 2, $2, $3)', [users[i % WRITERS]!.userId, raw4k[i % 50]!, 4096])));
  await db.query('DELETE FROM blobs');
  await db.query('DELETE FROM relay_state');
  const deliveries = await timed(() => pool(DELIVERIES, WRITERS, (i) => messages.deliver({ userId: users[i % WRITERS]!.userId, raw: raw4k[i % 50]! })));
  results['deliveries/s (4 KiB, 20 writers)'] = { value: DELIVERIES / (deliveries.ms / 1000), unit: '/s', target: '≥ 1,200', baseline: DELIVERIES / (plainBlob.ms / 1000) };
  results['baseline: one-row INSERT, 20 writers'] = { value: DELIVERIES / (baseline.ms / 1000), unit: '/s' };

  // 2. Unlock + re-wrap of 10k messages delivered while the user was away.
  const away = await accounts.createUser({ address: 'away@bench.test', password: PASSWORD });
  await pool(REWRAP_SIZE, WRITERS, (i) => messages.deliver({ userId: away.userId, raw: message(i) }));
  const unlock = await timed(async () => {
    const s = await accounts.authenticate('away@bench.test', PASSWORD);
    await messages.rewrapPending(s);
    return s;
  });
  const session = unlock.value;
  results['unlock + re-wrap 10k messages'] = { value: unlock.ms, unit: 'ms' };

  // 3. Fetch + decrypt 1,000 messages.
  const inbox = await mailboxes.byRole(session, 'inbox');
  const uids = Array.from({ length: FETCH_SIZE }, (_, i) => i + 1);
  const fetched = await timed(() => messages.fetch(session, inbox.id, uids));
  if (fetched.value.length !== FETCH_SIZE) throw new Error('fetch returned the wrong count');
  results['fetch + decrypt 1,000 messages'] = { value: fetched.ms, unit: 'ms', target: '≤ 500' };

  // 4. Search a word over 10k messages: first search decrypts, later ones use the session cache.
  const cold = await timed(() => messages.search(session, inbox.id, { field: 'body' }, 'needle'));
  const warm = await timed(() => messages.search(session, inbox.id, { field: 'body' }, 'needle'));
  if (cold.value.length !== REWRAP_SIZE / 100) throw new Error(`search found ${cold.value.length}`);
  results['search 10k, first (decrypts all)'] = { value: cold.ms, unit: 'ms', target: '≤ 1,000' };
  results['search 10k, again (cached)'] = { value: warm.ms, unit: 'ms', target: '≤ 1,000' };

  // 4b. APPEND: sessions of one account appending 4 KiB messages at once (every second one a
  // reply, so threading finds a key), into a mailbox of their own; they share the account's lock.
  const archive = await mailboxes.byRole(session, 'archive');
  const appendLatencies: number[] = [];
  const appended = await timed(() =>
    pool(APPENDS, APPENDERS, async (i) => {
      const start = performance.now();
      await messages.append(session, archive.id, threadedMessage(i));
      appendLatencies.push(performance.now() - start);
    }),
  );
  appendLatencies.sort((a, b) => a - b);
  results[`APPEND/s, one account, ${APPENDERS} sessions (4 KiB)`] = { value: APPENDS / (appended.ms / 1000), unit: '/s' };
  results[`APPEND p50, ${APPENDERS} sessions`] = { value: appendLatencies[Math.floor(APPENDS / 2)]!, unit: 'ms' };
  results[`APPEND p99, ${APPENDERS} sessions`] = { value: appendLatencies[Math.floor(APPENDS * 0.99)]!, unit: 'ms' };

  // 5. UID + flags listing of a 100k-message mailbox (rows made in SQL: listing reads no blob).
  const big = await accounts.createUser({ address: 'big@bench.test', password: PASSWORD });
  const bigSession = await accounts.authenticate('big@bench.test', PASSWORD);
  const bigInbox = await mailboxes.byRole(bigSession, 'inbox');
  await db.query("INSERT INTO blobs (user_id, seal, data, size) VALUES ($1, 2, '\\x00', 1)", [big.userId]);
  await db.query(
    `INSERT INTO messages (user_id, mailbox_id, uid, modseq, created_modseq, flags, internal_date, size, thread_id, blob_id)
     SELECT $1, $2, g, g, g, CASE WHEN g % 3 = 0 THEN ARRAY['\\Seen'] ELSE '{}'::text[] END, now(), 4096, g, (SELECT max(id) FROM blobs WHERE user_id = $1)
       FROM generate_series(1, $3::int) g`,
    [big.userId, bigInbox.id, LIST_SIZE],
  );
  await db.query('ANALYZE messages');
  const listed = await timed(() => messages.list(bigSession, bigInbox.id));
  if (listed.value.length !== LIST_SIZE) throw new Error('listing returned the wrong count');
  results['list UID + flags of 100k messages'] = { value: listed.ms, unit: 'ms', target: '≤ 500' };
  results['peak RSS'] = { value: process.resourceUsage().maxRSS / 1024, unit: 'MB', target: '≤ 300' };

  console.log(`storage benchmark: PostgreSQL ${(await db.query<{ v: string }>("SELECT current_setting('server_version') AS v"))[0]!.v}, Node ${process.version}`);
  for (const [name, r] of Object.entries(results)) {
    console.log(`${name.padEnd(42)} ${fmt(r.value).padStart(10)} ${r.unit.padEnd(3)} ${r.target ? `target ${r.target}` : ''}${r.baseline ? `  (plain 4 KiB blob INSERT: ${fmt(r.baseline)}/s)` : ''}`);
  }
  console.log(JSON.stringify({ bench: 'storage', node: process.version, results: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, { ...v, value: Math.round(v.value) }])) }));
}
