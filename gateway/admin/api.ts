// What the admin socket offers, as an interface: `localAdminApi` implements it in-process
// (over AccountService and DomainDns), the admin client over the socket, and CLI commands
// use either alike.
import type { AccountInfo } from '../../services/unlocked-account.js';
import type { UserSummary } from '../../services/account-service.js';
import type { DnsRecord } from '../../services/domain-dns.js';
import type { QueueEntry } from '../../services/outbound-queue.js';

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

export interface AdminApi {
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
}

/** Most rows `queue list` shows. */
export const QUEUE_LIST_LIMIT = 1000;
