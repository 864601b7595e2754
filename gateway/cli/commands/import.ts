// `lnmp-gateway import --from imaps://USER@HOST[:PORT] --to ADDRESS`: copies every folder of a
// legacy IMAP account (flags, keywords, internal dates, exact bytes) into a user of this
// gateway. Resumable: the gateway records each legacy message it stored, so a rerun imports
// only what is missing. The legacy password comes from a prompt or --password-stdin.
import type { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import type { LegacyMailbox } from '../../import/legacy-imap.js';
import type { LegacyServer } from '../../import/legacy-url.js';
import type { FolderSummary, ImportProgress, ImportSummary } from '../../import/run-import.js';
import { withAdminApi } from '../admin-api.js';
import { CliError, EXIT } from '../errors.js';
import type { CliIo } from '../io.js';
import { configOption, loadCliConfig } from '../options.js';

interface Options {
  from: string;
  to: string;
  passwordStdin?: boolean;
  folders?: string;
  insecure?: boolean;
  json?: boolean;
  config?: string;
}

export function register(program: Command, io: CliIo): void {
  program
    .command('import')
    .description('copy a mailbox from a legacy IMAP server into a user of this gateway; run it again to resume')
    .requiredOption('--from <url>', 'legacy account: imaps://USER@HOST[:PORT] (TLS) or imap://USER@HOST[:PORT] (STARTTLS); USER percent-encoded')
    .requiredOption('--to <address>', 'the user of this gateway to import into')
    .option('--password-stdin', 'read the legacy password from the first line of stdin (default: prompt on the terminal)')
    .option('--folders <names>', 'only these legacy folders, comma-separated')
    .option('--insecure', "accept a legacy server certificate that does not verify (self-signed)")
    .option('--json', 'print the summary as JSON')
    .addOption(configOption())
    .action(async (options: Options) => {
      const { parseLegacyUrl } = await import('../../import/legacy-url.js');
      const parsed = parseLegacyUrl(options.from);
      if (!parsed.ok) throw new CliError(parsed.reason, EXIT.usage);
      const only = options.folders === undefined ? undefined : options.folders.split(',').map((f) => f.trim()).filter((f) => f !== '');
      if (only !== undefined && only.length === 0) throw new CliError('--folders names no folder', EXIT.usage);
      const { config } = await loadCliConfig(io, options.config);
      const [{ MAX_IMPORT_MESSAGE_BYTES }, { runImport }] = await Promise.all([import('../../admin/limits.js'), import('../../import/run-import.js')]);
      let stopped = false;
      void io.waitForStop().then(() => (stopped = true));
      const summary = await withAdminApi(config, async (api) => {
        // The target is checked before the password is asked for.
        await api.importState({ address: options.to, source: parsed.server.source, folders: [] });
        const password = await readPassword(io, parsed.server, options.passwordStdin === true);
        const { connectLegacy } = await import('../../import/legacy-imap.js'); // imapflow loads only for this command
        const legacy = await connectLegacy({ server: parsed.server, password, insecure: options.insecure === true });
        const progress = await reporter(io, options.json === true);
        try {
          return await runImport({
            legacy, api, address: options.to, source: parsed.server.source, only, maxMessageBytes: MAX_IMPORT_MESSAGE_BYTES, progress, stopped: () => stopped,
          });
        } catch (err) {
          progress.end();
          throw resumable(err, progress.handled());
        } finally {
          progress.end();
          await closeQuietly(legacy);
        }
      });
      if (options.json) io.stdout(`${JSON.stringify(summary)}\n`);
      else io.stdout(describe(summary, options.to));
      if (summary.interrupted) throw new CliError(`interrupted after ${summary.imported} new messages; run the same command again to continue`, EXIT.failure);
    });
}

async function readPassword(io: CliIo, server: LegacyServer, fromStdin: boolean): Promise<string> {
  if (fromStdin) {
    const line = await io.stdin.readLine();
    if (line === undefined) throw new CliError('no password on stdin', EXIT.usage);
    return line;
  }
  if (!io.stdin.isTTY) throw new CliError('no password: use --password-stdin or run in a terminal', EXIT.usage);
  return io.stdin.readHidden(`Password for ${server.user} at ${server.host}: `);
}

function describe(s: ImportSummary, to: string): string {
  const lines = s.folders.map((f) => `${f.folder}: ${f.imported} imported, ${f.skipped} already imported, ${f.failed} failed\n`);
  return `${lines.join('')}${s.imported} messages imported into ${to.trim().toLowerCase()} from ${s.folders.length} folders; ${s.skipped} already imported, ${s.failed} failed\n`;
}

/** An error after some messages were imported says that a rerun continues. */
function resumable(err: unknown, handled: number): unknown {
  if (handled === 0 || !(err instanceof Error)) return err;
  return new CliError(`${err.message}; run the same command again to continue`, err instanceof CliError ? err.exitCode : EXIT.failure, { cause: err });
}

async function closeQuietly(legacy: LegacyMailbox): Promise<void> {
  await legacy.close().catch(() => {});
}

/** A bar per folder on a terminal; otherwise one line per folder (never with --json's stdout). */
async function reporter(io: CliIo, json: boolean): Promise<ImportProgress & { end(): void; handled(): number }> {
  const tty = process.stderr.isTTY === true && !json;
  const bars = tty ? await import('cli-progress') : undefined;
  let bar: SingleBar | undefined;
  let handled = 0;
  const end = () => {
    bar?.stop();
    bar = undefined;
  };
  return {
    folderStart(folder, total, done) {
      if (!bars) return;
      end();
      bar = new bars.SingleBar({ stream: process.stderr, format: `${folder.padEnd(20).slice(0, 20)} [{bar}] {value}/{total}`, hideCursor: true }, bars.Presets.shades_classic);
      bar.start(total, done);
    },
    message() {
      handled++;
      bar?.increment();
    },
    folderDone(s: FolderSummary) {
      end();
      if (!tty && !json) io.stderr(`${s.folder}: ${s.imported} imported, ${s.skipped} already imported, ${s.failed} failed\n`);
    },
    failure(folder, uid, reason) {
      if (!json) io.stderr(`lnmp-gateway: ${folder} UID ${uid} not imported: ${reason}\n`);
    },
    end,
    handled: () => handled,
  };
}
