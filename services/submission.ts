// Mail a logged-in user submits (SMTP submission now, JMAP EmailSubmission later). Each
// recipient is routed: a user of this gateway gets it at once, signed with the sender's own
// key and sealed to the recipient; an LNMP identity (an address with a checksum hosted
// elsewhere) is queued for the relay path; anyone else is queued for legacy SMTP. Every
// recipient becomes a friend of the sender, in the transaction that queues the message.
import { isLnmpAddress } from '../core/index.js';
import type { Db } from '../storage/db.js';
import type { AccountService } from './account-service.js';
import type { ContactService } from './contact-service.js';
import { isServiceError, ServiceError } from './errors.js';
import { keyContact } from './contact-service.js';
import type { LnmpOutbound } from './lnmp-outbound.js';
import type { ResolvedIdentity } from './lnmp-directory.js';
import type { InboundMail, InboundOutcome } from './inbound-mail.js';
import type { OutboundQueue } from './outbound-queue.js';
import type { UnlockedAccount } from './unlocked-account.js';

export type RecipientRoute =
  | { readonly kind: 'local'; readonly address: string; readonly userId: number }
  /** `identity`: looked up when the gateway speaks LNMP (LnmpOutbound); else queued for later. */
  | { readonly kind: 'lnmp'; readonly address: string; readonly identity?: ResolvedIdentity }
  | { readonly kind: 'smtp'; readonly address: string };

export interface SubmissionResult {
  readonly local: InboundOutcome[];
  /** The outbound message id when some recipients were queued. */
  readonly queuedId: number | undefined;
}

export class SubmissionService {
  readonly #db: Db;
  readonly #accounts: Pick<AccountService, 'resolveAddress' | 'isHostedDomain'>;
  readonly #inbound: Pick<InboundMail, 'deliver'>;
  readonly #contacts: Pick<ContactService, 'addFriends' | 'announce'>;
  readonly #queue: Pick<OutboundQueue, 'enqueue'>;
  readonly #onQueued: () => void;
  readonly #lnmp: LnmpOutbound | undefined;

  constructor(deps: {
    /** Mail to LNMP identities goes out as LNMP through relays (else it is queued like SMTP). */
    lnmp?: LnmpOutbound;
    db: Db;
    accounts: Pick<AccountService, 'resolveAddress' | 'isHostedDomain'>;
    inbound: Pick<InboundMail, 'deliver'>;
    contacts: Pick<ContactService, 'addFriends' | 'announce'>;
    queue: Pick<OutboundQueue, 'enqueue'>;
    /** Called after a message was queued and committed (wakes the outbound worker). */
    onQueued?: () => void;
  }) {
    this.#db = deps.db;
    this.#accounts = deps.accounts;
    this.#inbound = deps.inbound;
    this.#contacts = deps.contacts;
    this.#queue = deps.queue;
    this.#onQueued = deps.onQueued ?? (() => {});
    this.#lnmp = deps.lnmp;
  }

  /**
   * Where a recipient's copy goes. An unknown address on a hosted domain is `user_not_found`
   * (the client learns at once, instead of by bounce).
   */
  async route(address: string): Promise<RecipientRoute> {
    const user = await this.#accounts.resolveAddress(address);
    if (user) return { kind: 'local', address, userId: user.userId };
    const at = address.lastIndexOf('@');
    if (at <= 0 || at === address.length - 1) throw new ServiceError('invalid_address', `"${address}" is not an address`);
    if (await this.#accounts.isHostedDomain(address.slice(at + 1))) throw new ServiceError('user_not_found', `no user ${address} here`);
    if (!this.#lnmp) return { kind: isLnmpAddress(address) ? 'lnmp' : 'smtp', address };
    if (isLnmpAddress(address)) return { kind: 'lnmp', address, identity: await this.#lnmp.resolve(address) };
    // A plain address whose domain's LNMP document names the user is reached over LNMP too.
    try {
      return { kind: 'lnmp', address, identity: await this.#lnmp.resolve(address) };
    } catch (err) {
      if (isServiceError(err, 'user_not_found') || isServiceError(err, 'lnmp_unreachable') || isServiceError(err, 'invalid_address')) return { kind: 'smtp', address };
      throw err;
    }
  }

  /** Throws `sender_not_owned` unless `address` is the user's address, LNMP address or alias. */
  async checkSender(account: Pick<UnlockedAccount, 'userId'>, address: string): Promise<void> {
    const owner = await this.#accounts.resolveAddress(address);
    if (owner?.userId !== account.userId) throw new ServiceError('sender_not_owned', `${address} does not belong to the authenticated user`);
  }

  /**
   * Delivers the local copies, then queues the rest and records the friends in one
   * transaction. Throws the first local failure (temporary ones first) after trying every
   * recipient, so the client retries; nothing is queued then.
   */
  async submit(input: {
    account: UnlockedAccount;
    envelopeFrom: string;
    /** The From address the user's mail carries (checked to be the user's). */
    from: string;
    recipients: readonly RecipientRoute[];
    raw: Uint8Array;
    /** The EmailSubmission sending it: the queue records its recipients' outcomes for it. */
    submissionId?: number;
  }): Promise<SubmissionResult> {
    const userIds = [...new Set(input.recipients.flatMap((r) => (r.kind === 'local' ? [r.userId] : [])))];
    const local = userIds.length === 0 ? [] : await this.#inbound.deliver({ raw: input.raw, userIds, from: input.from, fromAuthenticated: true, signer: input.account });
    const failure = local.find((o) => !o.ok && isTemporary(o.error)) ?? local.find((o) => !o.ok);
    if (failure && !failure.ok) throw failure.error;
    const identities = input.recipients.flatMap((r) => (r.kind === 'lnmp' && r.identity ? [r.identity] : []));
    const envelopes = this.#lnmp ? await this.#lnmp.prepare(input.account, input.raw, identities) : [];
    const remote = input.recipients.flatMap((r) => (r.kind === 'local' || (r.kind === 'lnmp' && r.identity) ? [] : [{ transport: r.kind, address: r.address }]));
    // Replies come signed by the recipient's key: the key is a friend too.
    const friends = [...input.recipients.map((r) => r.address), ...identities.map((i) => keyContact(i.publicKey))];
    const queuedId = await this.#db.transaction(async (tx) => {
      await this.#contacts.addFriends(input.account.userId, friends, tx);
      if (envelopes.length > 0) await this.#lnmp!.enqueue(tx, envelopes);
      return remote.length === 0 ? undefined : this.#queue.enqueue(tx, {
        userId: input.account.userId, envelopeFrom: input.envelopeFrom, raw: input.raw, recipients: remote, ...(input.submissionId === undefined ? {} : { submissionId: input.submissionId }),
      });
    });
    await this.#contacts.announce(input.account.userId);
    if (envelopes.length > 0) this.#lnmp!.queued();
    if (queuedId !== undefined) this.#onQueued();
    return { local, queuedId };
  }
}

function isTemporary(err: unknown): boolean {
  return !(err instanceof ServiceError) || err.code === 'quota_exceeded';
}
