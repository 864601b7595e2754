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

export function localAdminApi(config: Config, db: Db, accounts: AccountService): AdminApi {
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
  return {
    addDomain: (name) => accounts.addDomain(name),
    listDomains: () => accounts.listDomains(),
    createUser: (input) => accounts.createUser(input),
    listUsers: () => accounts.listUsers(),
    domainDns: async (name) => (await domainDns()).records(name),
    queueList: () => listQueued(db, QUEUE_LIST_LIMIT),
    queueRetry: (ids) => retryNow(db, ids, new Date()),
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
