// What the admin socket offers, as an interface: `localAdminApi` implements it in-process
// (over AccountService and DomainDns), the admin client over the socket, and CLI commands
// use either alike.
import type { AccountInfo } from '../../services/unlocked-account.js';
import type { UserSummary } from '../../services/account-service.js';
import type { DnsRecord } from '../../services/domain-dns.js';

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
}
