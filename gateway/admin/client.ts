// The admin socket's client: connects to a running gateway and offers the same AdminApi
// as AccountService. Error replies become the errors the server threw (ServiceError,
// StorageError, AdminError), so callers handle both paths alike.
import { createConnection, type Socket } from 'node:net';
import { ServiceError, ServiceErrorCodes, type ServiceErrorCode } from '../../services/errors.js';
import { StorageError, StorageErrorCodes, type StorageErrorCode } from '../../storage/errors.js';
import type { AdminApi, CreatedUser, DeletedUser, DomainInfo, ExportedKey } from './api.js';
import type { CreatedToken, TokenSummary } from '../../services/token-service.js';
import type { GatewayStatus } from './status.js';
import type { ContactReport, PostageReport } from './postage-admin.js';
import type { PostagePolicy } from '../../services/postage-policy.js';
import type { ContactCounts } from '../../services/contact-service.js';
import type { ImportResult } from '../../services/mail-import.js';
import { importArgs } from './ops/mail-import.js';
import { AdminError, isAdminErrorCode } from './errors.js';
import { MAX_REPLY_LINE_BYTES, MAX_SOCKET_PATH_BYTES, REQUEST_TIMEOUT_MS } from './limits.js';
import { encodeRequest, parseReply, type AdminOpName, type WireError } from './protocol.js';
import type { UserSummary } from '../../services/account-service.js';
import type { DnsRecord } from '../../services/domain-dns.js';
import type { QueueEntry } from '../../services/outbound-queue.js';

export interface AdminClient {
  readonly api: AdminApi;
  call(op: AdminOpName, args?: Record<string, unknown>): Promise<unknown>;
  close(): void;
}

export interface AdminClientOptions {
  readonly timeoutMs?: number;
  readonly maxReplyBytes?: number;
}

/** Errors meaning "nobody listens there": the caller may open the data directory itself. */
const NOT_LISTENING = new Set(['ENOENT', 'ECONNREFUSED']);

/** Connects to the admin socket at `path`; undefined when no process listens there. */
export async function connectAdmin(path: string, options: AdminClientOptions = {}): Promise<AdminClient | undefined> {
  // A longer path cannot have been bound (the server refuses it); connecting would truncate it.
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) return undefined;
  const socket = await new Promise<Socket | undefined>((resolve, reject) => {
    const s = createConnection(path);
    s.once('connect', () => {
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== undefined && NOT_LISTENING.has(err.code)) resolve(undefined);
      else reject(new AdminError('admin_unreachable', `cannot connect to the admin socket ${path}: ${err.code === 'EACCES' ? 'permission denied' : err.message}`, { cause: err }));
    });
  });
  return socket && clientOn(socket, path, options);
}

interface Pending {
  resolve(result: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

function clientOn(socket: Socket, path: string, options: AdminClientOptions): AdminClient {
  const timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
  const maxReplyBytes = options.maxReplyBytes ?? MAX_REPLY_LINE_BYTES;
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let buffered = '';
  let broken: Error | undefined;

  const failAll = (err: Error) => {
    broken ??= err;
    for (const [id, p] of pending) {
      clearTimeout(p.timer);
      pending.delete(id);
      p.reject(err);
    }
    socket.destroy();
  };

  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) !== -1) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      const reply = parseReply(line);
      if (!reply) return failAll(new AdminError('admin_protocol', `${path} answered with something that is not a reply`));
      // A reply without an id answers a line the server could not read: with one request
      // outstanding at a time, that is the oldest one.
      const id = reply.id ?? (pending.size > 0 ? [...pending.keys()][0] : undefined);
      const p = typeof id === 'number' ? pending.get(id) : undefined;
      if (!p || id === undefined) continue;
      clearTimeout(p.timer);
      pending.delete(id as number);
      if (reply.ok) p.resolve(reply.result);
      else p.reject(errorFromReply(reply.error));
    }
    if (Buffer.byteLength(buffered) > maxReplyBytes) failAll(new AdminError('admin_protocol', `a reply from ${path} is longer than ${maxReplyBytes} bytes`));
  });
  socket.on('error', (err) => failAll(new AdminError('admin_unreachable', `the admin socket ${path} failed: ${err.message}`, { cause: err })));
  socket.on('close', () => failAll(new AdminError('admin_unreachable', `the gateway closed the admin connection ${path}`)));

  const call = (op: AdminOpName, args: Record<string, unknown> = {}): Promise<unknown> => {
    if (broken) return Promise.reject(broken);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new AdminError('admin_unreachable', `no reply from ${path} within ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(id, { resolve, reject, timer });
      socket.write(encodeRequest({ id, op, args }));
    });
  };

  return {
    call,
    close: () => socket.end(),
    api: {
      addDomain: (name) => call('domain.add', { name }) as Promise<DomainInfo>,
      listDomains: () => call('domain.list') as Promise<DomainInfo[]>,
      createUser: (input) => call('user.add', { ...input }) as Promise<CreatedUser>,
      listUsers: () => call('user.list') as Promise<UserSummary[]>,
      domainDns: (name) => call('domain.dns', { name }) as Promise<DnsRecord[]>,
      queueList: () => call('queue.list') as Promise<QueueEntry[]>,
      queueRetry: (ids) => call('queue.retry', { ids: [...ids] }) as Promise<number[]>,
      changePassword: async (input) => void (await call('user.passwd', { ...input })),
      deleteUser: (address) => call('user.delete', { address }) as Promise<DeletedUser>,
      exportKey: (input) => call('user.export-key', { ...input }) as Promise<ExportedKey>,
      createToken: (input) => call('token.create', { ...input }) as Promise<CreatedToken>,
      listTokens: (address) => call('token.list', { address }) as Promise<TokenSummary[]>,
      revokeToken: async (input) => void (await call('token.revoke', { ...input })),
      status: () => call('status') as Promise<GatewayStatus>,
      postageShow: (address) => call('postage.show', { address }) as Promise<PostageReport>,
      postageSet: (input) => call('postage.set', { address: input.address, policy: input.policy }) as Promise<PostagePolicy>,
      contactsShow: (input) => call('contacts.show', { ...input }) as Promise<ContactReport | ContactCounts>,
      contactsSet: (input) => call('contacts.set', { ...input }) as Promise<ContactReport>,
      devPay: (bolt11) => call('dev.pay', { bolt11 }) as Promise<{ paymentHash: string; state: string }>,
      importState: (input) => call('mail.import-state', { ...input, folders: input.folders.map((f) => ({ ...f })) }) as Promise<number[][]>,
      importMessage: (input) => call('mail.import', importArgs(input)) as Promise<ImportResult>,
    },
  };
}

/** Rebuilds the error the server threw from its code, so exit codes match the direct path. */
export function errorFromReply(error: WireError): Error {
  if (Object.hasOwn(ServiceErrorCodes, error.code)) return new ServiceError(error.code as ServiceErrorCode, error.message);
  if (Object.hasOwn(StorageErrorCodes, error.code)) return new StorageError(error.code as StorageErrorCode, error.message);
  if (isAdminErrorCode(error.code)) return new AdminError(error.code, error.message);
  return new AdminError('admin_protocol', `${error.code}: ${error.message}`);
}
