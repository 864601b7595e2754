// The IMAP protocol engine: wildduck's standalone `imap-core` (parser, state machine,
// command validation, response compiler). It stores nothing; the handlers in this folder
// answer its hooks from the services. This module loads it and types the part we use.
import { createRequire } from 'node:module';
import type { Writable } from 'node:stream';
import { messageRange, type UidList } from './uid-list.js';

// Without this the package reads a config directory of its own at require time.
process.env.DISABLE_WILD_CONFIG = 'true';
const require = createRequire(import.meta.url);

/** A tagged or untagged response as the engine's compiler takes it. */
export interface EngineResponse {
  tag: string;
  command: string;
  attributes: unknown[];
}

/** What a hook answers: `true` for OK, a response code (e.g. `NONEXISTENT`) for NO. */
export type HookResult = true | string;

/** The per-connection session object the engine passes to every hook. */
export interface EngineSession {
  readonly id: string;
  readonly remoteAddress: string;
  user?: { id: number; username: string };
  selected: EngineSelected | false;
  readonly writeStream: Writable;
  formatResponse(command: 'FETCH' | 'EXPUNGE' | 'EXISTS', uid: number, data?: unknown): EngineResponse | false;
  isUTF8Enabled(): boolean;
  /** The engine's FETCH item values for a message with `raw` and a parsed `mimeTree`. */
  getQueryResponse(query: FetchQueryItem[], message: unknown, options: { acceptUTF8Enabled: boolean }): unknown[];
}

/** The engine's view of the selected mailbox (`mailbox` is what onOpen returned as `_id`). */
export interface EngineSelected {
  mailbox: unknown;
  modifyIndex: number;
  /** What onOpen returned as `uidList`; the engine pushes (EXISTS) and splices (EXPUNGE) it. */
  uidList: UidList;
  notifications: EngineUpdate[];
  condstoreEnabled: boolean;
  readOnly: boolean;
  path: string;
}

/** One change the engine turns into an untagged EXISTS, EXPUNGE or FETCH. */
export interface EngineUpdate {
  command: 'EXISTS' | 'EXPUNGE' | 'FETCH';
  uid: number;
  modseq: number;
  flags?: string[];
  /** Connection id that already reported this change itself. */
  ignore?: string;
}

/** The notifier interface the engine calls (set as `server.notifier`). */
export interface EngineNotifier {
  addListener(session: EngineSession, handler: (message?: { command: string; mailbox?: unknown }) => void): void;
  removeListener(session: EngineSession, handler: (message?: { command: string; mailbox?: unknown }) => void): void;
  getUpdates(mailbox: unknown, modifyIndex: number, callback: (err: Error | null, updates?: EngineUpdate[]) => void): void;
}

/** One FETCH data item, as the engine parsed it. */
export interface FetchQueryItem {
  item: string;
  original: unknown;
  path?: string;
  type?: string;
  headers?: string[];
  partial?: { startFrom: number; maxLength: number };
  isLiteral?: boolean;
}

/**
 * The engine's connection object, for the few internals the guards here rely on: the
 * command reader (its unfinished line), the command being assembled, IDLE's continuation.
 */
export interface EngineConnection {
  readonly id: string;
  readonly session: EngineSession;
  idling: boolean;
  _nextHandler: ((token: string, resume: () => void) => void) | false;
  _parser: EngineReader | false;
  _currentCommand: { payload: string; literals: Buffer[]; command?: string } | false;
  send(line: string): void;
  close(force?: boolean): void;
}

/** The engine's line reader (a Writable): `_remainder` holds the line read so far without its CRLF. */
export interface EngineReader {
  _remainder: string;
  _write(chunk: Buffer, encoding: BufferEncoding, done: (err?: Error | null) => void): void;
}

export interface EngineServer {
  readonly server: { address(): { port: number } | string | null; close(): void };
  readonly connections: Set<EngineConnection>;
  notifier: EngineNotifier;
  listen(port: number, host: string, callback?: () => void): void;
  close(callback: () => void): void;
  on(event: 'error', listener: (err: Error) => void): void;
  once(event: 'error', listener: (err: Error) => void): void;
  off(event: 'error', listener: (err: Error) => void): void;
  [hook: `on${string}`]: unknown;
}

export interface EngineServerOptions {
  /** Passed on to `net.createServer`: TCP_NODELAY on every accepted socket. */
  noDelay?: boolean;
  secure: boolean;
  needsUpgrade?: boolean;
  key: Buffer;
  cert: Buffer;
  /**
   * Picks the certificate for a TLS server name. The engine's IMAPS path calls it for every
   * ClientHello carrying SNI and has no default of its own, so it must be set.
   */
  SNICallback: (servername: string, callback: (err: Error | null, context?: unknown) => void) => void;
  /** Lets LOGIN work without TLS (still advertises STARTTLS, no LOGINDISABLED). */
  ignoreSTARTTLS?: boolean;
  id: Record<string, string>;
  maxMessage: number;
  socketTimeout: number;
  idleTimeout: number;
  closeTimeout: number;
  allowStoreExpunged: boolean;
  skipFetchLog: boolean;
  logoutMessages: string[];
  logger: EngineLogger | false;
  onClose?: (session: EngineSession, done: () => void) => void;
  /** Runs for each connection before its greeting; an error answers `* BYE <message>`. */
  onConnect?: (session: EngineSession, done: (err?: Error) => void) => void;
}

/** bunyan-style logger the engine writes to: (fields, format, ...args). */
export interface EngineLogger {
  info(fields: unknown, ...message: unknown[]): void;
  debug(fields: unknown, ...message: unknown[]): void;
  error(fields: unknown, ...message: unknown[]): void;
}

interface IndexerInstance {
  parseMimeTree(raw: Buffer): unknown;
  getEnvelope(tree: unknown): unknown[];
  getBodyStructure(tree: unknown): unknown[];
  getBody(tree: unknown): unknown[];
}

interface ImapCore {
  IMAPServer: new (options: EngineServerOptions) => EngineServer;
  imapHandler: { compiler(response: unknown, asArray?: boolean, isLogging?: boolean): string };
}

const core = require('wildduck/imap-core') as ImapCore;
const Indexer = require('wildduck/imap-core/lib/indexer/indexer') as new () => IndexerInstance;
const imapTools = require('wildduck/imap-core/lib/imap-tools') as {
  formatInternalDate(date: Date): string;
  packMessageRange(uids: number[]): string;
  validateSequence(range: string): boolean;
  getMessageRange(uidList: UidList | number[], range: string, isUid: boolean): number[];
  rejectsZero?: true;
};
const errorReporter = require('wildduck/lib/errors.js') as { gelf: { handler: { emit(channel: string, message: Record<string, unknown>): void } } };

/** A command handler as the engine calls it, with the connection as `this`. */
type CommandHandler = (this: EngineConnection, command: unknown, callback: (...args: unknown[]) => void, next: () => void) => unknown;
const idleCommand = require('wildduck/imap-core/lib/commands/idle') as { handler: CommandHandler; repliesInOrder?: true };

/**
 * The engine's IDLE resumes reading commands before it writes `OK IDLE terminated`, so a
 * command pipelined right after DONE was answered before the IDLE itself. This resumes
 * reading only after that reply is queued (the engine writes it synchronously on DONE).
 * The patch is applied once to the engine module this process loads.
 */
function orderIdleCompletion(): void {
  if (idleCommand.repliesInOrder) return;
  const handler = idleCommand.handler;
  idleCommand.handler = function idle(this: EngineConnection, command, callback, next) {
    // Reading resumes on the next turn, so a DONE sent with the IDLE meets the wrapper below.
    const result = handler.call(this, command, callback, () => setImmediate(next));
    const onDone = this._nextHandler;
    if (typeof onDone === 'function') {
      this._nextHandler = (token, resume) => onDone.call(this, token, () => setImmediate(resume));
    }
    return result;
  };
  idleCommand.repliesInOrder = true;
}
orderIdleCompletion();

/**
 * The engine reads sequence number and UID 0 as 1, so `STORE 0 +FLAGS (\\Deleted)` marked the
 * first message. Both are nz-number (RFC 3501 §9): a set naming 0 gets the engine's
 * `BAD Invalid sequence set`, as any other malformed set does.
 */
function rejectZeroInSequenceSets(): void {
  if (imapTools.rejectsZero) return;
  const validate = imapTools.validateSequence;
  imapTools.validateSequence = (range) => validate(range) && !/(^|[,:])0+(?=$|[,:])/.test(range);
  imapTools.rejectsZero = true;
}
rejectZeroInSequenceSets();

/**
 * The engine resolves every sequence set with `getMessageRange`, which indexes the UID list
 * like an array and parses the set again for each message. The selected mailbox's list is a
 * UidList here (a compact view of a snapshot shared between sessions), so the engine is given
 * the same function written for it; it reads sets exactly as the engine does.
 */
imapTools.getMessageRange = messageRange;

/**
 * Untagged responses the application writes just before the engine's pending EXISTS, EXPUNGE
 * and FETCH updates (set once by the front-end: FLAGS for keywords other sessions introduced).
 */
let notificationPrelude: ((session: EngineSession) => void) | undefined;

export function setNotificationPrelude(prelude: (session: EngineSession) => void): void {
  notificationPrelude = prelude;
}

interface EmittingConnection {
  readonly session: EngineSession;
  state: string;
  selected: EngineSelected | false;
}
const connectionClass = require('wildduck/imap-core/lib/imap-connection') as {
  IMAPConnection: { prototype: { emitNotifications(this: EmittingConnection): void; hasPrelude?: true } };
};

/** The engine sends pending updates from one method (after a command, and in IDLE); the prelude runs first. */
function emitPreludeFirst(): void {
  const proto = connectionClass.IMAPConnection.prototype;
  if (proto.hasPrelude) return;
  const emit = proto.emitNotifications;
  proto.emitNotifications = function emitNotifications(this: EmittingConnection) {
    if (this.state === 'Selected' && this.selected && this.selected.notifications.length > 0) notificationPrelude?.(this.session);
    emit.call(this);
  };
  proto.hasPrelude = true;
}
emitPreludeFirst();

export const IMAPServer = core.IMAPServer;
export const compileResponse = (response: EngineResponse): string => core.imapHandler.compiler(response);
export const indexer = new Indexer();
export const formatInternalDate = imapTools.formatInternalDate;
export const packMessageRange = imapTools.packMessageRange;

/**
 * The engine reports protocol errors (bad commands, TLS failures) through a module-wide
 * reporter that prints to stderr; route them to our log instead. The last server started wins.
 */
export function routeEngineReports(report: (message: Record<string, unknown>) => void): void {
  errorReporter.gelf.handler = { emit: (_channel, message) => report(message) };
}
