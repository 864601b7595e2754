// The gateway on the LNMP network. Outbound: discovery (DNS `_lnmp` + identity documents),
// a relay pool that opens a client per recipient relay, and the persistent relay outbox that
// submission queues into. Inbound: the embedded relay hands envelopes for users of this
// gateway to LnmpInbound before storing them (the gateway is its users' relay: their identity
// documents name it), and a stranger's sender gets the postage INVOICE on its PUBLISH. When a
// relay answers one of our users' envelopes with a postage invoice, the user is told by a
// notice in the INBOX.
import type { Rng, VerifiedMessage } from '../../core/index.js';
import { toHex } from '../../core/index.js';
import { buildPostageRequestNotice } from '../../converters/lnmp-mail.js';
import type { PostageInvoice } from '../../relay/context.js';
import { RelayError } from '../../relay/errors.js';
import { enqueueRelayEnvelope, startOutbox, type RelayOutbox } from '../../relay/outbox.js';
import { RelayPool, type RelayOutcome } from '../../relay/relay-pool.js';
import { isServiceError } from '../../services/errors.js';
import { LnmpDirectory } from '../../services/lnmp-directory.js';
import { LnmpInbound, type LnmpInboundDeps } from '../../services/lnmp-inbound.js';
import { LnmpOutbound } from '../../services/lnmp-outbound.js';
import type { Db } from '../../storage/db.js';
import type { Logger } from '../log.js';
import type { DNSResolver } from '../smtp/authentication.js';

export interface LnmpNetworkDeps {
  readonly db: Db;
  readonly logger: Logger;
  readonly resolver: DNSResolver;
  readonly rng: Rng;
  /** The relays this gateway's users are reached at (its identity document names them). */
  readonly ownRelays: readonly string[];
  readonly hostname: string;
  /** The key the gateway's relay client proves when it connects (federation: the relay key). */
  readonly relayKey: Uint8Array;
  readonly inbound: Omit<LnmpInboundDeps, 'db' | 'authservId'>;
  /** Delivers a gateway-generated message to a user's INBOX (services/system-mail.ts). */
  readonly deliverSystemMail: (userId: number, raw: Uint8Array) => Promise<unknown>;
}

export interface LnmpNetwork {
  readonly outbound: LnmpOutbound;
  /** The embedded relay's DeliverHook. */
  deliver(message: VerifiedMessage): Promise<readonly PostageInvoice[]>;
  /** The embedded relay's ForwardHook: into the persistent outbox. */
  forward(message: VerifiedMessage, relays: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

export function startLnmpNetwork(deps: LnmpNetworkDeps): LnmpNetwork {
  const log = deps.logger;
  const directory = new LnmpDirectory({ resolveTxt: (name) => deps.resolver(name, 'TXT') as Promise<string[][]> });
  const pool = new RelayPool({ urls: [], openOnDemand: true, keys: [deps.relayKey], logger: log.child({ service: 'relay-client' }), rng: deps.rng });
  const notices = new PostageNotices(deps);
  const outbox: RelayOutbox = startOutbox({
    db: deps.db,
    pool,
    logger: log.child({ service: 'relay-outbox' }),
    onOutcome: (_id, outcome, envelope) => notices.onOutcome(outcome, envelope),
  });
  const outbound = new LnmpOutbound({
    directory,
    enqueue: (q, envelope, relays) => enqueueRelayEnvelope(q, envelope, relays, Date.now()),
    onQueued: () => outbox.kick(),
    ownRelays: () => deps.ownRelays,
    rng: deps.rng,
  });
  const inbound = new LnmpInbound({ ...deps.inbound, db: deps.db, authservId: deps.hostname });
  return {
    outbound,
    async deliver(message) {
      try {
        return await inbound.receive(message);
      } catch (err) {
        // Too big to store will never fit: the sender should not retry.
        if (isServiceError(err, 'too_large') || isServiceError(err, 'quota_exceeded')) throw new RelayError('invalid', `the recipient cannot store this envelope: ${err.message}`);
        throw err;
      }
    },
    async forward(message, relays) {
      await enqueueRelayEnvelope(deps.db, message, relays, Date.now());
      outbox.kick();
    },
    async close() {
      await outbox.close();
      await pool.close();
    },
  };
}

/** Tells a user when a recipient holds their envelope until postage is paid. */
class PostageNotices {
  constructor(private readonly deps: LnmpNetworkDeps) {}

  onOutcome(outcome: RelayOutcome, envelope: VerifiedMessage): void {
    if (outcome.status !== 'ok' || outcome.invoice?.purpose !== 'postage') return;
    const invoice = outcome.invoice;
    void this.#notify(envelope, invoice).catch((err: unknown) => this.deps.logger.warn('postage notice not delivered', { id: envelope.id, err }));
  }

  async #notify(envelope: VerifiedMessage, invoice: NonNullable<Extract<RelayOutcome, { status: 'ok' | 'duplicate' }>['invoice']>): Promise<void> {
    const [user] = await this.deps.db.query<{ id: number; address: string }>("SELECT id, address FROM users WHERE public_key = $1 AND status = 'active'", [envelope.from]);
    if (!user) return;
    const raw = buildPostageRequestNotice({
      from: `postmaster@${this.deps.hostname}`,
      to: user.address,
      recipientKey: envelope.to[0]!,
      envelopeId: envelope.id,
      amountSats: invoice.amount,
      bolt11: invoice.bolt11,
      url: invoice.url,
      expiresAt: invoice.expiresAt,
      date: new Date(),
      messageId: `${toHex(this.deps.rng(12))}@${this.deps.hostname}`,
    });
    await this.deps.deliverSystemMail(user.id, raw);
    this.deps.logger.info('postage requested by an LNMP recipient', { id: envelope.id, amountSats: invoice.amount });
  }
}
