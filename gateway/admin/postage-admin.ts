// The postage and contacts part of the admin API: a user's prices and recent cases
// (`postage show | set`), how a user knows an address (`contacts`), and the dev backend's
// `dev pay`. Served from the database with the gateway secret, so it works with or without
// a running gateway; a running one pays through its own backend, so its invoice
// subscriptions hear the payment at once, and announces policy and contact changes to its
// notifier, so JMAP clients are pushed PostagePolicy and Contact changes.
import type { Config } from '../../config/schema.js';
import { DevLightningBackend } from '../../lightning/dev-backend.js';
import { LightningError } from '../../lightning/errors.js';
import type { AccountService } from '../../services/account-service.js';
import { ContactService, type ContactClass, type ContactCounts } from '../../services/contact-service.js';
import { loadOrCreateDevNodeKey } from '../../services/dev-node-key.js';
import { ServiceError } from '../../services/errors.js';
import { loadPolicy, savePolicy, type PolicyPatch, type PostagePolicy } from '../../services/postage-policy.js';
import { listCases, type PostageCase } from '../../services/postage-cases.js';
import { systemRng } from '../../services/random.js';
import type { ChangeSink } from '../../services/journal.js';
import type { Db } from '../../storage/db.js';
import { loadGatewaySecret } from '../secret.js';

export interface PostageReport {
  readonly address: string;
  readonly policy: PostagePolicy;
  readonly cases: PostageCase[];
}

export type ContactStanding = ContactClass | 'stranger';

export interface ContactReport {
  readonly address: string;
  readonly contact: string;
  readonly standing: ContactStanding;
}

export interface PostageAdminApi {
  postageShow(address: string): Promise<PostageReport>;
  postageSet(input: { readonly address: string; readonly policy: PolicyPatch }): Promise<PostagePolicy>;
  /** With `contact`, how the user knows it; without, how many contacts of each class (addresses are stored hashed). */
  contactsShow(input: { readonly address: string; readonly contact?: string }): Promise<ContactReport | ContactCounts>;
  contactsSet(input: { readonly address: string; readonly contact: string; readonly standing: ContactStanding }): Promise<ContactReport>;
  /** Development only: pays an invoice of the dev Lightning backend. */
  devPay(bolt11: string): Promise<{ readonly paymentHash: string; readonly state: string }>;
}

export interface RunningPostage {
  /** Pays through the running gateway's backend; undefined when it is not the dev backend. */
  readonly devPay?: (bolt11: string) => Promise<{ paymentHash: string; state: string }>;
  /** The running gateway's change announcements (JMAP push). */
  readonly notifier?: ChangeSink;
}

/** Development: "pays" one of the dev backend's own invoices (no money moves) and says what became of it. */
export function devPayer(backend: DevLightningBackend): (bolt11: string) => Promise<{ paymentHash: string; state: string }> {
  return async (bolt11) => {
    const status = await backend.sendPayment(bolt11, { maxFeeSats: 0 });
    return { paymentHash: status.paymentHash, state: status.state };
  };
}

export function postageAdmin(config: Config, db: Db, accounts: Pick<AccountService, 'resolveAddress'>, running?: () => RunningPostage | undefined): PostageAdminApi {
  let secret: Uint8Array | undefined;
  const gatewaySecret = () => (secret ??= loadGatewaySecret(config, systemRng).bytes);
  const notifier = () => running?.()?.notifier;
  const contacts = () => {
    const sink = notifier();
    return new ContactService(db, { gatewaySecret: gatewaySecret(), ...(sink ? { notifier: sink } : {}) });
  };
  const userId = async (address: string) => {
    const user = await accounts.resolveAddress(address);
    if (!user) throw new ServiceError('user_not_found', `no user ${address}`);
    return user.userId;
  };
  const report = async (id: number, address: string, contact: string): Promise<ContactReport> => ({
    address,
    contact,
    standing: (await contacts().classify(id, contact)) ?? 'stranger',
  });
  return {
    async postageShow(address) {
      const id = await userId(address);
      return { address, policy: await loadPolicy(db, id, config.postage), cases: await listCases(db, id) };
    },
    async postageSet({ address, policy }) {
      const id = await userId(address);
      await savePolicy(db, id, policy);
      await notifier()?.publish({ userId: id, modseq: 0, kind: 'postage' });
      return loadPolicy(db, id, config.postage);
    },
    async contactsShow({ address, contact }) {
      const id = await userId(address);
      return contact === undefined ? contacts().counts(id) : report(id, address, contact);
    },
    async contactsSet({ address, contact, standing }) {
      const id = await userId(address);
      await contacts().set(id, contact, standing === 'stranger' ? undefined : standing);
      return report(id, address, contact);
    },
    async devPay(bolt11) {
      if (config.lightning.backend !== 'dev') throw new ServiceError('payment_refused', 'dev pay needs the dev Lightning backend (lightning.backend "dev")');
      try {
        const viaGateway = running?.()?.devPay;
        if (viaGateway) return await viaGateway(bolt11);
        const backend = new DevLightningBackend({ db, nodeKey: await loadOrCreateDevNodeKey(db, gatewaySecret(), systemRng), random: systemRng });
        return await devPayer(backend)(bolt11);
      } catch (err) {
        if (err instanceof LightningError) throw new ServiceError('payment_refused', err.message, { cause: err });
        throw err;
      }
    },
  };
}
