// The identities a user sends as (JMAP Identity, RFC 8621 §6): the default one (the user's
// own address, which always exists and cannot be removed) and any the user adds for another
// of their addresses (alias or LNMP address). What the user changes is stored sealed
// (sealed-records.ts); the default identity has a row only once it was changed.
import type { Rng } from '../core/index.js';
import type { Db } from '../storage/db.js';
import type { AccountService } from './account-service.js';
import { ServiceError } from './errors.js';
import { nextModseq, NO_NOTIFICATIONS, type ChangeSink } from './journal.js';
import { destroyRecord, nextRecordId, openRecord, recordChangesSince, sealRecord, updateRecord, type RecordChange } from './sealed-records.js';
import type { UnlockedAccount } from './unlocked-account.js';

export interface IdentityAddress {
  readonly name: string | null;
  readonly email: string;
}

export interface IdentityFields {
  readonly name: string;
  readonly email: string;
  readonly replyTo: readonly IdentityAddress[] | null;
  readonly bcc: readonly IdentityAddress[] | null;
  readonly textSignature: string;
  readonly htmlSignature: string;
}

/** An identity: `default` is the account's own, else the row id of one the user added. */
export interface Identity {
  readonly id: number | 'default';
  readonly fields: IdentityFields;
}

export type IdentityPatch = Partial<Omit<IdentityFields, 'email'>>;

const TABLE = 'identities';

export class IdentityService {
  readonly #db: Db;
  readonly #rng: Rng;
  readonly #accounts: Pick<AccountService, 'resolveAddress'>;
  readonly #sink: ChangeSink;

  /** `notifier` hears every committed change (kind `identity`), for JMAP push. */
  constructor(db: Db, opts: { rng: Rng; accounts: Pick<AccountService, 'resolveAddress'>; notifier?: ChangeSink }) {
    this.#db = db;
    this.#rng = opts.rng;
    this.#accounts = opts.accounts;
    this.#sink = opts.notifier ?? NO_NOTIFICATIONS;
  }

  /** Every identity of the account, the default one first. */
  async list(account: UnlockedAccount): Promise<Identity[]> {
    const rows = await this.#db.query<{ id: number; is_default: boolean; data: Uint8Array }>(
      `SELECT id, is_default, data FROM ${TABLE} WHERE user_id = $1 AND NOT destroyed ORDER BY is_default DESC, id`,
      [account.userId],
    );
    const stored = rows.map((r) => ({ id: r.is_default ? ('default' as const) : r.id, fields: openRecord<IdentityFields>(account, TABLE, r.id, r.data) }));
    return stored[0]?.id === 'default' ? stored : [{ id: 'default', fields: defaultFields(account) }, ...stored];
  }

  /** Adds an identity. @throws ServiceError sender_not_owned unless `email` is one of the user's addresses. */
  async create(account: UnlockedAccount, fields: IdentityFields): Promise<number> {
    const owner = await this.#accounts.resolveAddress(fields.email);
    if (owner?.userId !== account.userId) throw new ServiceError('sender_not_owned', `${fields.email} is not an address of this account`);
    return this.#insert(account, { ...fields, email: fields.email.toLowerCase() }, false);
  }

  /** @throws ServiceError message_not_found for an identity that does not exist. */
  async update(account: UnlockedAccount, id: number | 'default', patch: IdentityPatch): Promise<void> {
    const current = (await this.list(account)).find((i) => i.id === id);
    if (!current) throw new ServiceError('message_not_found', 'no such identity');
    const fields = { ...current.fields, ...patch };
    if (id !== 'default') {
      const modseq = await updateRecord(this.#db, TABLE, account, id, fields, this.#rng);
      if (modseq === undefined) throw new ServiceError('message_not_found', 'no such identity');
      return this.#changed(account, modseq);
    }
    const [row] = await this.#db.query<{ id: number }>(`SELECT id FROM ${TABLE} WHERE user_id = $1 AND is_default`, [account.userId]);
    if (!row) {
      await this.#insert(account, fields, true);
      return;
    }
    const modseq = await updateRecord(this.#db, TABLE, account, row.id, fields, this.#rng);
    if (modseq !== undefined) await this.#changed(account, modseq);
  }

  /** Removes an added identity; false when there is none with this id. The default one cannot be removed. */
  async destroy(account: UnlockedAccount, id: number): Promise<boolean> {
    const modseq = await destroyRecord(this.#db, TABLE, account, id, 'NOT is_default');
    if (modseq === undefined) return false;
    await this.#changed(account, modseq);
    return true;
  }

  /** Identities changed after `since` (the default one only as updated). */
  async changesSince(account: UnlockedAccount, since: number): Promise<Array<RecordChange<number | 'default'>>> {
    const changes = await recordChangesSince(this.#db, TABLE, account.userId, since);
    return changes.map((c) => (c.row.isDefault ? { id: 'default', modseq: c.modseq, op: 'updated' } : { id: c.id, modseq: c.modseq, op: c.op }));
  }

  async #insert(account: UnlockedAccount, fields: IdentityFields, isDefault: boolean): Promise<number> {
    const { id, modseq } = await this.#db.transaction(async (tx) => {
      const id = await nextRecordId(tx, TABLE);
      const modseq = await nextModseq(tx, account.userId);
      await tx.query(`INSERT INTO ${TABLE} (id, user_id, is_default, data, modseq, created_modseq) VALUES ($1, $2, $3, $4, $5, $5)`, [
        id, account.userId, isDefault, sealRecord(account, TABLE, id, fields, this.#rng), modseq,
      ]);
      return { id, modseq };
    });
    await this.#changed(account, modseq);
    return id;
  }

  /** After the commit: push and other listeners hear of it. */
  #changed(account: UnlockedAccount, modseq: number): Promise<void> {
    return this.#sink.publish({ userId: account.userId, modseq, kind: 'identity' });
  }
}

/** The default identity before the user changed it: the address, no name, no signatures. */
function defaultFields(account: Pick<UnlockedAccount, 'address'>): IdentityFields {
  return { name: '', email: account.address, replyTo: null, bcc: null, textSignature: '', htmlSignature: '' };
}
