// The mail import behind `mail.import` and `mail.import-state` in-process: MailImport over the
// gateway's storage, signing with the gateway identity and keying its folder hashes and the
// contacts with the gateway secret. Built on first use (as DomainDns is), so other admin ops
// never load the secret; a failure is not remembered, the next call tries again.
import type { Config } from '../../config/schema.js';
import type { AccountService } from '../../services/account-service.js';
import { ContactService } from '../../services/contact-service.js';
import { loadOrCreateGatewayIdentity } from '../../services/gateway-identity.js';
import { MailImport } from '../../services/mail-import.js';
import { MessageService } from '../../services/message-service.js';
import { systemRng } from '../../services/random.js';
import type { Db } from '../../storage/db.js';
import { loadGatewaySecret } from '../secret.js';
import { prepareDataDir } from '../storage.js';

export function lazyMailImport(config: Config, db: Db, accounts: AccountService): () => Promise<MailImport> {
  let opened: Promise<MailImport> | undefined;
  return () => {
    if (!opened) {
      const opening = open(config, db, accounts);
      opened = opening;
      opening.catch(() => {
        if (opened === opening) opened = undefined;
      });
    }
    return opened;
  };
}

async function open(config: Config, db: Db, accounts: AccountService): Promise<MailImport> {
  // As at `start`: the configured secret, else the data directory's (generated if missing).
  if (config.gatewaySecret === undefined) prepareDataDir(config.dataDir);
  const secret = loadGatewaySecret(config, systemRng);
  const gateway = await loadOrCreateGatewayIdentity(db, secret.bytes, systemRng);
  return new MailImport({
    db,
    accounts,
    messages: new MessageService(db, { rng: systemRng }),
    contacts: new ContactService(db, { gatewaySecret: secret.bytes }),
    gateway,
    gatewaySecret: secret.bytes,
    rng: systemRng,
  });
}
