// The legacy IMAP server as the import reads it, over imapflow: folders with their special
// use, each folder's UIDVALIDITY and UIDs (read-only, EXAMINE), and messages by UID with
// flags, internal date and exact bytes. Its failures become one-line CliErrors naming the
// server, never the password.
import { ImapFlow } from 'imapflow';
import { CliError, EXIT } from '../cli/errors.js';
import type { LegacyServer } from './legacy-url.js';
import { LEGACY_CONNECT_TIMEOUT_MS, LEGACY_GREETING_TIMEOUT_MS, LEGACY_SOCKET_TIMEOUT_MS } from './limits.js';

export interface LegacyFolderInfo {
  readonly path: string;
  readonly delimiter: string | undefined;
  readonly specialUse: string | undefined;
}

export interface LegacyMessage {
  readonly uid: number;
  readonly flags: string[];
  readonly internalDate: Date;
  readonly raw: Uint8Array;
}

export interface LegacyMailbox {
  folders(): Promise<LegacyFolderInfo[]>;
  /** Selects a folder read-only: its UIDVALIDITY and every UID, ascending. */
  open(path: string): Promise<{ uidvalidity: number; uids: number[] }>;
  /** UIDs and sizes of the open folder's messages (RFC822.SIZE), for batching. */
  sizes(uids: readonly number[]): Promise<Map<number, number>>;
  /** The given messages of the open folder, by UID. */
  fetch(uids: readonly number[]): Promise<LegacyMessage[]>;
  close(): Promise<void>;
}

export interface LegacyLogin {
  readonly server: LegacyServer;
  readonly password: string;
  /** Accept a certificate that does not verify (self-signed). */
  readonly insecure: boolean;
}

export async function connectLegacy(login: LegacyLogin): Promise<LegacyMailbox> {
  const { server } = login;
  const client = new ImapFlow({
    host: server.host,
    port: server.port,
    secure: server.implicitTls,
    // imap:// must upgrade: the password never crosses the wire in clear.
    ...(server.implicitTls ? {} : { doSTARTTLS: true }),
    auth: { user: server.user, pass: login.password },
    tls: { rejectUnauthorized: !login.insecure },
    logger: false,
    connectionTimeout: LEGACY_CONNECT_TIMEOUT_MS,
    greetingTimeout: LEGACY_GREETING_TIMEOUT_MS,
    socketTimeout: LEGACY_SOCKET_TIMEOUT_MS,
    disableAutoIdle: true,
  });
  // Errors surface through the command that was running; without a listener they would crash.
  let lastError: unknown;
  client.on('error', (err: unknown) => void (lastError = err));
  const fail = (err: unknown): never => {
    throw legacyError(err instanceof Error && !isCodeless(err) ? err : (lastError ?? err), login);
  };
  await client.connect().catch(fail);
  return {
    async folders() {
      const list = await client.list().catch(fail);
      return list
        .filter((f) => !f.flags.has('\\Noselect') && !f.flags.has('\\NonExistent'))
        .map((f) => ({ path: f.path, delimiter: f.delimiter || undefined, specialUse: f.specialUse }));
    },
    async open(path) {
      const box = await client.mailboxOpen(path, { readOnly: true }).catch(fail);
      const uids = box.exists === 0 ? [] : ((await client.search({ all: true }, { uid: true }).catch(fail)) || []);
      return { uidvalidity: Number(box.uidValidity), uids: [...uids].sort((a, b) => a - b) };
    },
    async sizes(uids) {
      const sizes = new Map<number, number>();
      if (uids.length === 0) return sizes;
      for (const m of await client.fetchAll(uidSet(uids), { uid: true, size: true }, { uid: true }).catch(fail)) sizes.set(m.uid, m.size ?? 0);
      return sizes;
    },
    async fetch(uids) {
      if (uids.length === 0) return [];
      const fetched = await client.fetchAll(uidSet(uids), { uid: true, flags: true, internalDate: true, source: true }, { uid: true }).catch(fail);
      return fetched
        .filter((m) => m.source !== undefined)
        .map((m) => ({
          uid: m.uid,
          flags: [...(m.flags ?? [])],
          internalDate: m.internalDate instanceof Date ? m.internalDate : new Date(m.internalDate ?? Date.now()),
          raw: new Uint8Array(m.source!),
        }))
        .sort((a, b) => a.uid - b.uid);
    },
    async close() {
      if (client.usable) await client.logout().catch(() => client.close());
      else client.close();
    },
  };
}

/** A UID set in ranges (`1:40,42,50:60`), so a long list stays a short command. */
export function uidSet(uids: readonly number[]): string {
  const sorted = [...uids].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(j === i ? `${sorted[i]}` : `${sorted[i]}:${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

function isCodeless(err: Error): boolean {
  const e = err as { code?: unknown; authenticationFailed?: unknown };
  return e.code === undefined && e.authenticationFailed === undefined;
}

const UNTRUSTED_CERT = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_UNTRUSTED',
]);
const CLOSED = new Set(['NoConnection', 'EConnectionClosed', 'ECONNRESET', 'EPIPE', 'ClosedAfterConnectTLS', 'ClosedAfterConnectText']);
const TIMED_OUT = new Set(['ETIMEDOUT', 'CONNECT_TIMEOUT', 'GREETING_TIMEOUT', 'UPGRADE_TIMEOUT', 'ETIMEOUT']);

/** The one mapping from an imapflow, socket or TLS failure to what the user reads. */
export function legacyError(err: unknown, login: LegacyLogin): CliError {
  const { host, port, user } = login.server;
  const where = `the legacy server ${host}:${port}`;
  const e = (err ?? {}) as { code?: string; authenticationFailed?: boolean; message?: string; responseText?: string };
  const code = e.code ?? '';
  const reason = (e.message ?? String(err)).split(login.password).join('********');
  let message: string;
  if (e.authenticationFailed) message = `${where} refused the login of ${user}: wrong user name or password`;
  else if (code === 'ECONNREFUSED') message = `cannot connect to ${where}: connection refused`;
  else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') message = `cannot connect to ${where}: host not found`;
  else if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') message = `cannot connect to ${where}: host unreachable`;
  else if (TIMED_OUT.has(code)) message = `${where} did not answer in time`;
  else if (UNTRUSTED_CERT.has(code)) message = `the TLS certificate of ${where} is not trusted (${reason}); use --insecure to accept it`;
  else if (code.startsWith('ERR_SSL') || code === 'EPROTO') message = `TLS with ${where} failed: ${reason}`;
  else if (/STARTTLS/i.test(reason)) message = `${where} does not offer STARTTLS; a login in clear is refused`;
  else if (CLOSED.has(code)) message = `${where} closed the connection`;
  else message = `${where} failed: ${reason}`;
  return new CliError(message, EXIT.failure, { cause: err });
}
