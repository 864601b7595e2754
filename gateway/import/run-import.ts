// The import loop: for each legacy folder (INBOX first), the UIDs not imported yet (the
// gateway keeps that progress, so a rerun resumes), fetched in batches and sent one message
// at a time. A stop request ends the run after the message in flight; whatever was imported
// stays, and running the same command again continues where it stopped.
import type { AdminApi } from '../admin/api.js';
import { CliError, EXIT } from '../cli/errors.js';
import { ServiceError } from '../../services/errors.js';
import type { LegacyFolderInfo, LegacyMailbox } from './legacy-imap.js';
import { FETCH_BATCH, FETCH_BATCH_BYTES } from './limits.js';

export interface FolderSummary {
  readonly folder: string;
  imported: number;
  /** Imported by an earlier run (or a concurrent one). */
  skipped: number;
  failed: number;
}

export interface ImportSummary {
  readonly folders: FolderSummary[];
  readonly imported: number;
  readonly skipped: number;
  readonly failed: number;
  /** The run was stopped before it finished. */
  readonly interrupted: boolean;
}

export interface ImportProgress {
  /** A folder starts: its message count and how many of them an earlier run imported. */
  folderStart(folder: string, total: number, done: number): void;
  /** One more message of the folder handled (imported, skipped or failed). */
  message(folder: string): void;
  folderDone(summary: FolderSummary): void;
  /** A message that could not be imported, and why; the run goes on. */
  failure(folder: string, uid: number, reason: string): void;
}

export interface ImportRun {
  readonly legacy: LegacyMailbox;
  readonly api: Pick<AdminApi, 'importState' | 'importMessage'>;
  readonly address: string;
  readonly source: string;
  /** Only these folders (legacy paths), when given. */
  readonly only?: readonly string[] | undefined;
  readonly maxMessageBytes: number;
  readonly progress: ImportProgress;
  readonly stopped: () => boolean;
}

/** Service errors that concern one message only: it is counted as failed and the run goes on. */
const PER_MESSAGE_ERRORS = new Set(['too_large', 'invalid_mailbox_name']);

export async function runImport(run: ImportRun): Promise<ImportSummary> {
  const folders = await selectFolders(run.legacy, run.only);
  const summaries: FolderSummary[] = [];
  let interrupted = false;
  for (const folder of folders) {
    if (run.stopped()) {
      interrupted = true;
      break;
    }
    const summary: FolderSummary = { folder: folder.path, imported: 0, skipped: 0, failed: 0 };
    summaries.push(summary);
    interrupted = await importFolder(run, folder, summary);
    run.progress.folderDone(summary);
    if (interrupted) break;
  }
  const sum = (key: 'imported' | 'skipped' | 'failed') => summaries.reduce((n, s) => n + s[key], 0);
  return { folders: summaries, imported: sum('imported'), skipped: sum('skipped'), failed: sum('failed'), interrupted };
}

async function selectFolders(legacy: LegacyMailbox, only: readonly string[] | undefined): Promise<LegacyFolderInfo[]> {
  const all = await legacy.folders();
  const inboxFirst = [...all].sort((a, b) => Number(b.path.toUpperCase() === 'INBOX') - Number(a.path.toUpperCase() === 'INBOX'));
  if (!only) return inboxFirst;
  const missing = only.filter((name) => !all.some((f) => f.path === name || (name.toUpperCase() === 'INBOX' && f.path.toUpperCase() === 'INBOX')));
  if (missing.length > 0) throw new CliError(`no folder ${missing.map((m) => `"${m}"`).join(', ')} on the legacy server`, EXIT.usage);
  return inboxFirst.filter((f) => only.some((name) => name === f.path || (name.toUpperCase() === 'INBOX' && f.path.toUpperCase() === 'INBOX')));
}

/** Imports what is missing of one folder; true when stopped before the end. */
async function importFolder(run: ImportRun, folder: LegacyFolderInfo, summary: FolderSummary): Promise<boolean> {
  const { legacy, api, progress } = run;
  const { uidvalidity, uids } = await legacy.open(folder.path);
  const legacyFolder = { path: folder.path, ...(folder.delimiter ? { delimiter: folder.delimiter } : {}), ...(folder.specialUse ? { specialUse: folder.specialUse } : {}) };
  const [done = []] = await api.importState({ address: run.address, source: run.source, folders: [{ ...legacyFolder, uidvalidity }] });
  const imported = new Set(done);
  const todo = uids.filter((uid) => !imported.has(uid));
  summary.skipped = uids.length - todo.length;
  progress.folderStart(folder.path, uids.length, summary.skipped);
  const fail = (uid: number, reason: string) => {
    summary.failed++;
    progress.failure(folder.path, uid, reason);
    progress.message(folder.path);
  };
  const sizes = await legacy.sizes(todo);
  for (const batch of batches(todo, sizes, run.maxMessageBytes)) {
    if (run.stopped()) return true;
    for (const uid of batch.tooLarge) fail(uid, `larger than ${run.maxMessageBytes} bytes`);
    for (const message of await legacy.fetch(batch.uids)) {
      if (run.stopped()) return true;
      try {
        const result = await api.importMessage({
          address: run.address, source: run.source, folder: legacyFolder, uidvalidity, uid: message.uid, flags: message.flags, internalDate: message.internalDate, raw: message.raw,
        });
        if (result === 'imported') summary.imported++;
        else summary.skipped++;
        progress.message(folder.path);
      } catch (err) {
        if (err instanceof ServiceError && PER_MESSAGE_ERRORS.has(err.code)) fail(message.uid, err.message);
        else throw err;
      }
    }
  }
  return false;
}

interface Batch {
  readonly uids: number[];
  readonly tooLarge: number[];
}

/** Groups UIDs into FETCHes of at most FETCH_BATCH messages and FETCH_BATCH_BYTES; too large ones apart. */
function* batches(uids: readonly number[], sizes: ReadonlyMap<number, number>, maxBytes: number): Generator<Batch> {
  let current: number[] = [];
  let tooLarge: number[] = [];
  let bytes = 0;
  for (const uid of uids) {
    const size = sizes.get(uid) ?? 0;
    if (size > maxBytes) {
      tooLarge.push(uid);
      continue;
    }
    if (current.length > 0 && (current.length >= FETCH_BATCH || bytes + size > FETCH_BATCH_BYTES)) {
      yield { uids: current, tooLarge };
      current = [];
      tooLarge = [];
      bytes = 0;
    }
    current.push(uid);
    bytes += size;
  }
  if (current.length > 0 || tooLarge.length > 0) yield { uids: current, tooLarge };
}
