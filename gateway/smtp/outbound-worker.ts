// The outbound worker: claims due rows of the outbound queue, delivers each message to each
// recipient domain (DKIM-signed when the sender's domain is hosted here) and records every
// recipient's outcome: sent, retried after the queue's backoff, or failed with a delivery
// status notification in the sender's INBOX. Any number of workers, in one process or many,
// may work one queue: claims are leased rows (FOR UPDATE SKIP LOCKED).
import { toHex, type Rng } from '../../core/index.js';
import type { Config } from '../../config/schema.js';
import { buildDsn, type DsnRecipient } from '../../converters/dsn.js';
import { headerFields } from '../../converters/header-fields.js';
import type { DkimKeys } from '../../services/dkim-keys.js';
import { OUTBOUND_RETRY, type ClaimedRecipient, type OutboundMessage, type OutboundQueue } from '../../services/outbound-queue.js';
import { systemRng } from '../../services/random.js';
import type { Logger } from '../log.js';
import type { DNSResolver } from './authentication.js';
import { dkimSignMessage } from './dkim.js';
import { deliverToDomain, type RecipientResult } from './outbound-transport.js';

/** Rows claimed per query; fewer when the worker has fewer free slots. */
export const OUTBOUND_CLAIM_BATCH = 20;
/** Deliveries (one message to one domain) in flight per worker, over all domains. */
export const OUTBOUND_WORKER_CONCURRENCY = 20;
/** How often an idle worker looks for due rows; `kick()` wakes it at once. */
export const OUTBOUND_POLL_MS = 1_000;
/** Pause after the queue could not be read (storage down) before trying again. */
export const OUTBOUND_ERROR_DELAY_MS = 5_000;
/**
 * A claimed delivery that waited this long for a slot of its domain is not started: its lease
 * may be running out, and another worker may claim it then. It is left for that next claim.
 */
export const OUTBOUND_MAX_SLOT_WAIT_MS = OUTBOUND_RETRY.leaseMs / 2;

/** What the worker reads from the configuration (`Config` fits). */
export interface OutboundWorkerConfig {
  /** Our name in EHLO and in DSNs. */
  readonly hostname: Config['hostname'];
  readonly outbound: Pick<Config['outbound'], 'port' | 'giveUpHours' | 'perDomainConcurrency'>;
  readonly dkim: Pick<Config['dkim'], 'selector'>;
}

export interface OutboundWorkerOptions {
  readonly queue: Pick<OutboundQueue, 'claim' | 'message' | 'sent' | 'failed' | 'retry'>;
  readonly dkimKeys: Pick<DkimKeys, 'signingKey'>;
  /** Mail whose envelope sender is at a hosted domain is signed with that domain's key. */
  readonly isHostedDomain: (domain: string) => Promise<boolean>;
  /** Puts gateway-written mail (a DSN) into a user's INBOX (`deliverSystemMail`). */
  readonly deliverSystemMail: (userId: number, raw: Uint8Array) => Promise<unknown>;
  readonly config: OutboundWorkerConfig;
  /** MX, A and AAAA lookups for the recipient domains. */
  readonly resolver: DNSResolver;
  readonly logger: Logger;
  readonly rng?: Rng;
  /** The clock for giving up, DSN dates and DKIM signature times. */
  readonly now?: () => number;
  readonly pollMs?: number;
  readonly errorDelayMs?: number;
  /** Recipients settled by one attempt, once recorded (metrics). */
  readonly onSettled?: (counts: { readonly delivered: number; readonly deferred: number; readonly failed: number }) => void;
}

export interface OutboundWorker {
  /** Looks for due rows now (after something was queued) instead of at the next poll. */
  kick(): void;
  /** Stops claiming and resolves once the deliveries in flight are finished. */
  close(): Promise<void>;
}

/** One message to one domain: its claimed rows, delivered in one SMTP transaction. */
interface Group {
  readonly messageId: number;
  readonly domain: string;
  readonly rows: ClaimedRecipient[];
}

/** A message's body and signed bytes, loaded once per claim for all its domains. */
type Prepared = Map<number, { message: Promise<OutboundMessage>; signed?: Promise<Buffer> }>;

interface Failure {
  readonly row: ClaimedRecipient;
  readonly result: RecipientResult;
  /** A temporary failure that has lasted longer than giveUpHours. */
  readonly expired: boolean;
}

export function startOutboundWorker(opts: OutboundWorkerOptions): OutboundWorker {
  const { queue, config, logger } = opts;
  const now = opts.now ?? Date.now;
  const rng = opts.rng ?? systemRng;
  const pollMs = opts.pollMs ?? OUTBOUND_POLL_MS;
  const errorDelayMs = opts.errorDelayMs ?? OUTBOUND_ERROR_DELAY_MS;
  const giveUpMs = config.outbound.giveUpHours * 3_600_000;
  const tasks = new Set<Promise<void>>();
  const domainSlots = new Map<string, Slots>();
  let closing = false;
  let kicked = false;
  let wake: (() => void) | undefined;

  const kick = () => {
    kicked = true;
    wake?.();
  };

  /** Waits `ms`, or less when kicked or closed (also when that happened before the wait). */
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      if (kicked || closing) return resolve();
      const done = () => {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      wake = done;
    });

  async function run(): Promise<void> {
    while (!closing) {
      kicked = false;
      try {
        const free = OUTBOUND_WORKER_CONCURRENCY - tasks.size;
        if (free <= 0) {
          // A finishing delivery kicks.
          await pause(pollMs);
          continue;
        }
        const claimed = await queue.claim(Math.min(OUTBOUND_CLAIM_BATCH, free));
        if (claimed.length === 0) {
          await pause(pollMs);
          continue;
        }
        const prepared: Prepared = new Map();
        for (const group of groupRows(claimed)) track(work(group, prepared));
      } catch (err) {
        logger.warn('outbound queue unavailable', { err, retryInMs: errorDelayMs });
        await pause(errorDelayMs);
      }
    }
  }

  function track(task: Promise<void>): void {
    tasks.add(task);
    void task.finally(() => {
      tasks.delete(task);
      kick();
    });
  }

  async function work(group: Group, prepared: Prepared): Promise<void> {
    const slots = domainSlots.get(group.domain) ?? new Slots(config.outbound.perDomainConcurrency);
    domainSlots.set(group.domain, slots);
    const waitStart = performance.now();
    await slots.acquire();
    try {
      if (performance.now() - waitStart > OUTBOUND_MAX_SLOT_WAIT_MS) {
        logger.warn('outbound delivery left for a later claim', { messageId: group.messageId, domain: group.domain });
        return;
      }
      await deliverGroup(group, prepared);
    } catch (err) {
      // The rows stay leased and are claimed again when the lease ends.
      logger.error('outbound delivery failed', { messageId: group.messageId, domain: group.domain, err });
    } finally {
      slots.release();
      if (slots.idle) domainSlots.delete(group.domain);
    }
  }

  async function deliverGroup(group: Group, prepared: Prepared): Promise<void> {
    let entry = prepared.get(group.messageId);
    if (!entry) {
      entry = { message: queue.message(group.messageId) };
      prepared.set(group.messageId, entry);
    }
    let message: OutboundMessage;
    try {
      message = await entry.message;
    } catch (err) {
      logger.error('outbound message unreadable', { messageId: group.messageId, err });
      await settle(group, undefined, group.rows.map((r) => local(r.recipient, '451 4.3.0 the queued message could not be read')));
      return;
    }
    let results: RecipientResult[];
    try {
      entry.signed ??= sign(message);
      results = await deliverToDomain(
        { domain: group.domain, from: message.envelopeFrom, recipients: group.rows.map((r) => r.recipient), raw: await entry.signed },
        { resolver: opts.resolver, heloName: config.hostname, port: config.outbound.port, logger, rng },
      );
    } catch (err) {
      logger.error('outbound message not sent', { messageId: group.messageId, domain: group.domain, err });
      results = group.rows.map((r) => local(r.recipient, '451 4.3.0 local error before sending'));
    }
    await settle(group, message, results);
  }

  /**
   * DKIM-signs the message when its envelope sender's domain is hosted here; a message with a
   * null sender (an auto-reply) by its From domain.
   */
  async function sign(message: OutboundMessage): Promise<Buffer> {
    const raw = Buffer.from(message.raw);
    const domain = message.envelopeFrom === '' ? fromDomain(raw) : domainOf(message.envelopeFrom);
    if (domain === undefined || !(await opts.isHostedDomain(domain))) return raw;
    const key = await opts.dkimKeys.signingKey(domain, config.dkim.selector);
    return dkimSignMessage(raw, { domain: key.domain, selector: key.selector, privateKeyPem: key.privateKeyPem, algorithm: 'rsa-sha256', signTime: new Date(now()) });
  }

  /** Records each recipient's outcome, then tells the sender about the failures. */
  async function settle(group: Group, message: OutboundMessage | undefined, results: readonly RecipientResult[]): Promise<void> {
    const at = now();
    const sent = new Map<string, number[]>();
    const retry = new Map<string, ClaimedRecipient[]>();
    const failures: Failure[] = [];
    group.rows.forEach((row, i) => {
      const result = results[i] ?? local(row.recipient, '451 4.3.0 no result');
      if (result.status === 'sent') push(sent, result.reply, row.id);
      else if (result.status === 'permanent') failures.push({ row, result, expired: false });
      else if (at - row.queuedAt.getTime() >= giveUpMs) failures.push({ row, result, expired: true });
      else push(retry, result.reply, row);
    });
    for (const [reply, ids] of sent) await queue.sent(ids, reply);
    for (const [reply, rows] of retry) await queue.retry(rows, reply);
    const failed = new Map<string, number[]>();
    for (const f of failures) push(failed, f.result.reply, f.row.id);
    for (const [reply, ids] of failed) await queue.failed(ids, reply);
    const counts = { delivered: [...sent.values()].flat().length, deferred: [...retry.values()].flat().length, failed: failures.length };
    opts.onSettled?.(counts);
    logger.info('outbound attempt', {
      messageId: group.messageId,
      domain: group.domain,
      sent: counts.delivered,
      deferred: counts.deferred,
      failed: counts.failed,
      ...(retry.size + failed.size > 0 ? { replies: [...retry.keys(), ...failed.keys()] } : {}),
    });
    if (failures.length > 0 && message) await bounce(message, failures, at);
  }

  /** A DSN to the sender's INBOX; never for a null-sender message (no bounce loops). */
  async function bounce(message: OutboundMessage, failures: readonly Failure[], at: number): Promise<void> {
    if (message.envelopeFrom === '' || message.userId === null) {
      logger.info('no delivery status notification', { messageId: message.id, reason: message.envelopeFrom === '' ? 'null sender' : 'no sender account' });
      return;
    }
    try {
      const dsn = buildDsn({
        reportingMta: config.hostname,
        arrivalDate: new Date(Math.min(...failures.map((f) => f.row.queuedAt.getTime()))),
        recipients: failures.map((f) => dsnRecipient(f, new Date(at))),
        original: { headers: headerSection(message.raw) },
        from: `MAILER-DAEMON@${config.hostname}`,
        to: message.envelopeFrom,
        date: new Date(at),
        messageId: `${toHex(rng(16))}@${config.hostname}`,
        boundary: `=_dsn_${toHex(rng(16))}`,
      });
      await opts.deliverSystemMail(message.userId, dsn);
    } catch (err) {
      logger.error('delivery status notification failed', { messageId: message.id, err });
    }
  }

  const loop = run();
  return {
    kick,
    async close() {
      closing = true;
      wake?.();
      await loop;
      while (tasks.size > 0) await Promise.all(tasks);
    },
  };
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Claimed rows by (message, domain), in claim order. */
function groupRows(rows: readonly ClaimedRecipient[]): Group[] {
  const groups = new Map<string, Group>();
  for (const row of rows) {
    const key = `${row.messageId} ${row.domain}`;
    const group = groups.get(key) ?? { messageId: row.messageId, domain: row.domain, rows: [] };
    group.rows.push(row);
    groups.set(key, group);
  }
  return [...groups.values()];
}

/** A temporary outcome for a problem on our side, in the shape of a reply. */
function local(recipient: string, reply: string): RecipientResult {
  return { recipient, status: 'temporary', reply };
}

function domainOf(address: string): string | undefined {
  const at = address.lastIndexOf('@');
  return at <= 0 || at === address.length - 1 ? undefined : address.slice(at + 1).toLowerCase();
}

/** RFC 3463 status of a failure: the reply's enhanced code, or 5.4.7 (delivery time expired). */
function dsnStatus(f: Failure): string {
  if (f.expired) return '5.4.7';
  return /^5\d\d[ -](5\.\d{1,3}\.\d{1,3})(?:\s|$)/.exec(f.result.reply)?.[1] ?? '5.0.0';
}

function dsnRecipient(f: Failure, lastAttempt: Date): DsnRecipient {
  // A reply we wrote ourselves (DNS, connection, local) names no remote server.
  const type = f.result.mx === undefined ? 'x-lnmp-gateway' : 'smtp';
  return {
    address: f.row.recipient,
    action: 'failed',
    status: dsnStatus(f),
    diagnostic: `${type}; ${f.result.reply}`,
    ...(f.result.mx !== undefined && /^[A-Za-z0-9.-]+$/.test(f.result.mx) ? { remoteMta: f.result.mx } : {}),
    lastAttemptDate: lastAttempt,
  };
}

/** The header section of a message: up to its first empty line (all of it when there is none). */
function headerSection(raw: Uint8Array): Uint8Array {
  const text = Buffer.from(raw).toString('latin1');
  const end = /\r?\n\r?\n/.exec(text);
  return end === null ? raw : raw.subarray(0, end.index);
}

/** A counting semaphore: at most `limit` holders, the others wait in order. */
class Slots {
  readonly #limit: number;
  #held = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(limit: number) {
    this.#limit = limit;
  }

  get idle(): boolean {
    return this.#held === 0 && this.#waiting.length === 0;
  }

  acquire(): Promise<void> {
    if (this.#held < this.#limit) {
      this.#held += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** Hands the slot to the next waiter, if any. */
  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#held -= 1;
  }
}

/** The domain of the first address in the From header, lowercased. */
function fromDomain(raw: Uint8Array): string | undefined {
  const from = headerFields(raw).find((f) => f.name === 'from')?.value;
  const address = from === undefined ? undefined : (/<([^<>]+)>/.exec(from)?.[1] ?? from).trim();
  return address === undefined ? undefined : domainOf(address);
}
