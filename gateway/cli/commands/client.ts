// `lnmp-gateway client keygen | document | send | inbox | watch`: a native LNMP client that
// needs no gateway account. Its identity lives in an encrypted key file (gateway/native-client/
// key-file.ts); the passphrase comes from LNMP_CLIENT_PASSPHRASE or a prompt without echo.
import { Option, type Command } from 'commander';
import { resolve } from 'node:path';
import type { InboxEntry } from '../../native-client/inbox.js';
import type { ClientKey } from '../../native-client/key-file.js';
import type { Warn } from '../../native-client/network.js';
import type { SendReport } from '../../native-client/send.js';
import { CliError, EXIT } from '../errors.js';
import type { CliIo } from '../io.js';
import { commandGroup, configOption, loadCliConfig } from '../options.js';

// The native client (relay pool, crypto, key files) is imported inside each action, so that
// the other commands and `--help` do not load it.

const PASSPHRASE_ENV = 'LNMP_CLIENT_PASSPHRASE';

/**
 * `inbox --limit` when none is given: native-client/inbox.ts's DEFAULT_INBOX_LIMIT, repeated
 * here so that defining the option does not load the client (client.test.ts keeps them equal).
 */
export const INBOX_LIMIT_DEFAULT = 50;

function keyFileOption(): Option {
  return new Option('--key-file <path>', 'the key file (default: $LNMP_CLIENT_HOME/key.json, else ~/.lnmp/key.json)');
}

async function keyFilePath(io: CliIo, given: string | undefined): Promise<string> {
  if (given !== undefined) return resolve(given);
  const { defaultKeyFilePath } = await import('../../native-client/key-file.js');
  return resolve(defaultKeyFilePath(io.env));
}

/** LNMP_CLIENT_PASSPHRASE, else a prompt without echo (typed twice when `confirm`). */
async function readPassphrase(io: CliIo, confirm: boolean): Promise<string> {
  const fromEnv = io.env[PASSPHRASE_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (!io.stdin.isTTY) throw new CliError(`no passphrase: set ${PASSPHRASE_ENV} or run in a terminal`, EXIT.usage);
  const passphrase = await io.stdin.readHidden('Key file passphrase: ');
  if (confirm && (await io.stdin.readHidden('Repeat key file passphrase: ')) !== passphrase) throw new CliError('the passphrases do not match', EXIT.usage);
  return passphrase;
}

/** Runs `work` with the unlocked key; the private key is zeroed afterwards. */
async function withKey<T>(io: CliIo, given: string | undefined, work: (key: ClientKey) => Promise<T>): Promise<T> {
  const path = await keyFilePath(io, given);
  const { readKeyFile, unlockKeyFile } = await import('../../native-client/key-file.js');
  const file = readKeyFile(path);
  const key = await unlockKeyFile(file, path, await readPassphrase(io, false));
  try {
    return await work(key);
  } finally {
    key.privateKey.fill(0);
  }
}

function warnTo(io: CliIo): Warn {
  return (line) => io.stderr(`lnmp-gateway: warning: ${line}\n`);
}

function requireRelays(key: ClientKey): void {
  if (key.relays.length === 0) throw new CliError('the key file names no relay to read from; create it with keygen --relay URL', EXIT.usage);
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 10_000) throw new CliError(`--limit ${value}: expected a whole number from 1 to 10000`, EXIT.usage);
  return n;
}

function describeSend(report: SendReport): string {
  const failed = report.relays.filter((r) => r.status === 'failed').length;
  const via = `${report.relays.length - failed} of ${report.relays.length} relays`;
  if (!report.invoice) return `delivered ${report.id} to ${report.to} (accepted by ${via})\n`;
  const { amount, bolt11, url } = report.invoice;
  return `held, postage required: ${report.to} holds ${report.id} until ${amount} sat are paid\ninvoice: ${bolt11}\n${url ? `pay at:  ${url}\n` : ''}`;
}

export function register(program: Command, io: CliIo): void {
  const group = commandGroup(program, 'client', 'a native LNMP client: an identity in an encrypted key file, sending and reading through relays');

  group
    .command('keygen')
    .description('create a new identity and its encrypted key file; prints the address and (once) the mnemonic')
    .requiredOption('--username <name>', 'username of the address (a-z, 0-9, ".", "_", "-")')
    .option('--host <host>', 'host of the address: a domain that will serve its identity document (default lnmp.invalid: not discoverable)')
    .option('--relay <url>', 'a relay to read mail from and to name in the identity document (repeatable)', (url: string, all: string[]) => [...all, url], [] as string[])
    .addOption(keyFileOption())
    .option('--force', 'replace an existing key file')
    .option('--json', 'print {"address","publicKey","keyFile","mnemonic"}')
    .action(async (options: { username: string; host?: string; relay: string[]; keyFile?: string; force?: boolean; json?: boolean }) => {
      const path = await keyFilePath(io, options.keyFile);
      const passphrase = await readPassphrase(io, true);
      const [{ createKeyFile, writeKeyFile }, { systemRng }] = await Promise.all([import('../../native-client/key-file.js'), import('../../../services/random.js')]);
      const { file, mnemonic } = await createKeyFile({ username: options.username, host: options.host, relays: options.relay, passphrase, rng: systemRng });
      writeKeyFile(path, file, options.force === true);
      if (options.json) {
        io.stdout(`${JSON.stringify({ address: file.address, publicKey: file.publicKey, keyFile: path, mnemonic })}\n`);
        return;
      }
      io.stdout(
        `address:    ${file.address}\npublic key: ${file.publicKey}\nkey file:   ${path}\nmnemonic:   ${mnemonic}\n` +
          '# The mnemonic is shown only this once. It restores the identity: keep it offline and private.\n',
      );
    });

  group
    .command('document')
    .description("print the key's signed identity document (JSON), for its domain to serve at <document URL>/users/<domain>/<name>")
    .addOption(keyFileOption())
    .action(async (options: { keyFile?: string }) => {
      const [{ clientIdentityDocument }, { systemRng }] = await Promise.all([import('../../native-client/document.js'), import('../../../services/random.js')]);
      const doc = await withKey(io, options.keyFile, async (key) => clientIdentityDocument(key, Date.now(), systemRng));
      io.stdout(`${JSON.stringify(doc)}\n`);
    });

  group
    .command('send')
    .description("send a text message to an LNMP address (name#chk@host) or a user@domain whose domain publishes LNMP documents")
    .requiredOption('--to <address>', 'the recipient')
    .requiredOption('--subject <text>', 'the subject line')
    .requiredOption('--body <text>', 'the message text')
    .option('--pay', "pay a postage invoice at once (the only payer today: a development gateway's pay page)")
    .option('--json', 'print {"id","to","recipientKey","state","relays","invoice","paid"}')
    .addOption(keyFileOption())
    .addOption(configOption())
    .action(async (options: { to: string; subject: string; body: string; pay?: boolean; json?: boolean; keyFile?: string; config?: string }) => {
      const { config } = await loadCliConfig(io, options.config);
      const [{ sendMessage }, { openDirectory }, { payThroughDevPage }, { systemRng }] = await Promise.all([
        import('../../native-client/send.js'),
        import('../../native-client/network.js'),
        import('../../native-client/pay.js'),
        import('../../../services/random.js'),
      ]);
      await withKey(io, options.keyFile, async (key) => {
        const warn = warnTo(io);
        const report = await sendMessage({ key, to: options.to, subject: options.subject, body: options.body, directory: openDirectory(config.dns.servers), rng: systemRng, now: Date.now, warn });
        for (const r of report.relays) if (r.error !== undefined) warn(r.error);
        const paid = options.pay === true && report.invoice !== undefined;
        if (!paid) {
          io.stdout(options.json ? `${JSON.stringify({ ...report, paid: false })}\n` : describeSend(report));
          return;
        }
        if (!options.json) io.stdout(describeSend(report));
        await payThroughDevPage(report.invoice!);
        io.stdout(options.json ? `${JSON.stringify({ ...report, state: 'delivered', paid: true })}\n` : `paid ${report.invoice!.amount} sat: delivered ${report.id} to ${report.to}\n`);
      });
    });

  group
    .command('inbox')
    .description("list the messages for the key on its relays, newest first: date, from, subject, id")
    .option('--limit <n>', 'at most this many messages', String(INBOX_LIMIT_DEFAULT))
    .option('--json', 'print a JSON array of {"id","date","from","fromKey","subject","body"}')
    .addOption(keyFileOption())
    .action(async (options: { limit: string; json?: boolean; keyFile?: string }) => {
      const limit = positiveInt(options.limit);
      const [{ formatEntry, readInbox }, { readerPool }] = await Promise.all([import('../../native-client/inbox.js'), import('../../native-client/network.js')]);
      await withKey(io, options.keyFile, async (key) => {
        requireRelays(key);
        const warn = warnTo(io);
        const pool = readerPool(key.relays, key.privateKey, warn);
        try {
          const entries = await readInbox(pool, key, limit, warn);
          io.stdout(options.json ? `${JSON.stringify(entries)}\n` : entries.map((e) => `${formatEntry(e)}\n`).join(''));
        } finally {
          await pool.close();
        }
      });
    });

  group
    .command('watch')
    .description('print each new message for the key as it arrives, until interrupted (Ctrl-C)')
    .option('--json', 'print one JSON object per message, as inbox --json')
    .addOption(keyFileOption())
    .action(async (options: { json?: boolean; keyFile?: string }) => {
      // Listening before anything starts, so an early Ctrl-C is not lost.
      const stopped = io.waitForStop();
      const [{ formatEntry }, { readerPool }, { watchInbox }] = await Promise.all([
        import('../../native-client/inbox.js'),
        import('../../native-client/network.js'),
        import('../../native-client/watch.js'),
      ]);
      await withKey(io, options.keyFile, async (key) => {
        requireRelays(key);
        const warn = warnTo(io);
        const pool = readerPool(key.relays, key.privateKey, warn);
        const print = (e: InboxEntry) => io.stdout(options.json ? `${JSON.stringify(e)}\n` : `${formatEntry(e)}\n`);
        try {
          await watchInbox({ pool, key, now: Date.now, onEntry: print, onLive: (relay) => io.stderr(`watching ${key.address} at ${relay}\n`), warn, stopped });
        } finally {
          await pool.close();
        }
      });
    });
}
