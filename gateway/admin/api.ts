// What the admin socket offers, as an interface: `localAdminApi` implements it in-process
// (over AccountService and DomainDns), the admin client over the socket, and CLI commands
// use either alike.
import type { AccountInfo } from '../../services/unlocked-account.js';
import type { UserSummary } from '../../services/account-service.js';
import type { DnsRecord } from '../../services/domain-dns.js';
import type { QueueEntry } from '../../services/outbound-queue.js';
import type { ImportedMessage, ImportResult, LegacyFolder } from '../../services/mail-import.js';
import type { CreatedToken, TokenSummary } from '../../services/token-service.js';
import type { GatewayStatus } from './status.js';
import type { PostageAdminApi } from './postage-admin.js';

export interface DomainInfo {
  readonly id: number;
  readonly name: string;
}

export interface NewUser {
  readonly address: string;
  readonly password: string;
  /** Import this identity instead of creating a new one. */
  readonly mnemonic?: string;
}

export interface CreatedUser extends AccountInfo {
  /** Only for a new identity: its mnemonic, shown once. */
  readonly mnemonic?: string;
}

/** A user's identity in its recovery form: the mnemonic, or the private key (hex) without one. */
export interface ExportedKey {
  readonly address: string;
  readonly publicKey: string;
  readonly mnemonic?: string;
  readonly privateKey?: string;
}

export interface DeletedUser {
  readonly address: string;
  /** How many messages went with the user. */
  readonly messages: number;
}

export interface AdminApi extends PostageAdminApi {
  addDomain(name: string): Promise<DomainInfo>;
  listDomains(): Promise<DomainInfo[]>;
  createUser(input: NewUser): Promise<CreatedUser>;
  listUsers(): Promise<UserSummary[]>;
  /** The records a hosted domain publishes; creates its DKIM key for the configured selector if missing. */
  domainDns(name: string): Promise<DnsRecord[]>;
  /** Outbound rows still queued, oldest first (at most QUEUE_LIST_LIMIT). */
  queueList(): Promise<QueueEntry[]>;
  /** Makes the given queued rows due now; returns the ids that were queued. */
  queueRetry(ids: readonly number[]): Promise<number[]>;
  /** Re-wraps the user's keys under a new password; the old one stops working. */
  changePassword(input: { readonly address: string; readonly password: string; readonly newPassword: string }): Promise<void>;
  /** Removes the user and everything stored for them. */
  deleteUser(address: string): Promise<DeletedUser>;
  /** Needs the account password. */
  exportKey(input: { readonly address: string; readonly password: string }): Promise<ExportedKey>;
  /** A new bearer token (also an app password), returned once; needs the account password. */
  createToken(input: { readonly address: string; readonly password: string; readonly name?: string }): Promise<CreatedToken>;
  listTokens(address: string): Promise<TokenSummary[]>;
  revokeToken(input: { readonly address: string; readonly name: string }): Promise<void>;
  /** The running gateway's listeners, backends, queue and uptime; only a gateway can answer. */
  status(): Promise<GatewayStatus>;
  /** Per legacy folder (at its UIDVALIDITY), the UIDs already imported for the user; none checks the user only. */
  importState(input: { readonly address: string; readonly source: string; readonly folders: ReadonlyArray<LegacyFolder & { readonly uidvalidity: number }> }): Promise<number[][]>;
  /** Imports one legacy message (services/mail-import.ts); `skipped` if it was imported before. */
  importMessage(input: ImportedMessage): Promise<ImportResult>;
}

/** Most rows `queue list` shows. */
export const QUEUE_LIST_LIMIT = 1000;
