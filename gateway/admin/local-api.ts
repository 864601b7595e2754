// The AdminApi in-process, for the gateway's admin socket and for CLI commands that open the
// database themselves: AccountService for domains and users, DomainDns for a domain's records.
// DomainDns needs the gateway secret and identity; it is built on first use, so commands that
// only manage accounts never touch them.
import type { Config } from '../../config/schema.js';
import type { AccountService } from '../../services/account-service.js';
import { DkimKeys } from '../../services/dkim-keys.js';
import { DomainDns } from '../../services/domain-dns.js';
import { loadOrCreateGatewayIdentity } from '../../services/gateway-identity.js';
import { mtaStsModeFor, mtaStsPolicy, mtaStsPolicyId } from '../../services/mta-sts.js';
import { listQueued, retryNow } from '../../services/outbound-queue.js';
import { systemRng } from '../../services/random.js';
import type { Db } from '../../storage/db.js';
import { loadGatewaySecret } from '../secret.js';
import { generateDkimKey } from '../smtp/dkim.js';
import { prepareDataDir } from '../storage.js';
import { QUEUE_LIST_LIMIT, type AdminApi } from './api.js';
import { AdminError } from './errors.js';
import type { GatewayStatus } from './status.js';
import { lazyMailImport } from './local-import.js';
import { postageAdmin, type RunningPostage } from './postage-admin.js';

export interface LocalAdminOptions {
  /** The running gateway's status (server.ts); without it `status` is refused. */
  readonly status?: () => Promise<GatewayStatus>;
  /** The running gateway's postage (dev pay through its own backend). */
  readonly postage?: () => RunningPostage | undefined;
}

export function localAdminApi(config: Config, db: Db, accounts: AccountService, options: LocalAdminOptions = {}): AdminApi {
  let dns: Promise<DomainDns> | undefined;
  const domainDns = (): Promise<DomainDns> => {
    if (!dns) {
      const opening = openDomainDns(config, db, accounts);
      dns = opening;
      // A failure (storage down, wrong secret) is not remembered: the next call tries again.
      opening.catch(() => {
        if (dns === opening) dns = undefined;
      });
    }
    return dns;
  };
  const mailImport = lazyMailImport(config, db, accounts);
  return {
    ...postageAdmin(config, db, accounts, options.postage),
    addDomain: (name) => accounts.addDomain(name),
    listDomains: () => accounts.listDomains(),
    createUser: (input) => accounts.createUser(input),
    listUsers: () => accounts.listUsers(),
    domainDns: async (name) => (await domainDns()).records(name),
    queueList: () => listQueued(db, QUEUE_LIST_LIMIT),
    queueRetry: (ids) => retryNow(db, ids, new Date()),
    changePassword: (input) => accounts.changePassword(input.address, input.password, input.newPassword),
    deleteUser: (address) => accounts.deleteUser(address),
    exportKey: (input) => accounts.exportKey(input.address, input.password),
    createToken: (input) => accounts.createToken(input.address, input.password, input.name),
    listTokens: (address) => accounts.listTokens(address),
    revokeToken: (input) => accounts.revokeToken(input.address, input.name),
    status: () => (options.status ? options.status() : Promise.reject(new AdminError('unknown_op', 'status is answered by a running gateway only'))),
    importState: async ({ address, source, folders }) => {
      const importer = await mailImport();
      await importer.user(address);
      return Promise.all(folders.map((f) => importer.importedUids(address, source, f, f.uidvalidity)));
    },
    importMessage: async (input) => (await mailImport()).importMessage(input),
  };
}

async function openDomainDns(config: Config, db: Db, accounts: AccountService): Promise<DomainDns> {
  // As at `start`: the configured secret, else the data directory's (generated if missing).
  // Opening the gateway identity proves it is the deployment's secret before a DKIM key is
  // wrapped under it.
  if (config.gatewaySecret === undefined) prepareDataDir(config.dataDir);
  const secret = loadGatewaySecret(config, systemRng);
  const identity = await loadOrCreateGatewayIdentity(db, secret.bytes, systemRng);
  identity.privateKey.fill(0);
  return new DomainDns({
    isHostedDomain: (domain) => accounts.isHostedDomain(domain),
    dkimKeys: new DkimKeys(db, { gatewaySecret: secret.bytes, rng: systemRng, generate: generateDkimKey }),
    gatewayPublicKey: identity.publicKey,
    hostname: config.hostname,
    dkimSelector: config.dkim.selector,
    submissions: config.ports.submissions !== undefined,
    mtaStsId: mtaStsPolicyId(mtaStsPolicy({ mode: mtaStsModeFor(config.mode), mx: config.hostname })),
  });
}
