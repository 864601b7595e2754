// `client send`: discover the recipient, write a small text message, seal it to the recipient
// in a signed envelope and publish it to the recipient's relays. Delivered when one relay
// accepts it; a postage INVOICE with the acceptance means the recipient holds it until paid.
import { createMessage, parseAddress, type Rng } from '../../core/index.js';
import type { RelayInvoice } from '../../relay/client-requests.js';
import { RelayPool, type RelayOutcome } from '../../relay/relay-pool.js';
import type { LnmpDirectory } from '../../services/lnmp-directory.js';
import { CliError, EXIT } from '../cli/errors.js';
import { composeContent, newMessageId } from './compose.js';
import type { ClientKey } from './key-file.js';
import { CLIENT_RELAY_LIMITS, warningLogger, type Warn } from './network.js';

export interface SendInput {
  readonly key: ClientKey;
  readonly to: string;
  readonly subject: string;
  readonly body: string;
  readonly directory: LnmpDirectory;
  readonly rng: Rng;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  readonly warn: Warn;
}

export interface SendReport {
  /** The envelope id. */
  readonly id: string;
  readonly to: string;
  readonly recipientKey: string;
  readonly relays: ReadonlyArray<{ readonly relay: string; readonly status: RelayOutcome['status']; readonly error?: string }>;
  /** `held`: accepted, but the recipient keeps it from their inbox until the postage invoice is paid. */
  readonly state: 'delivered' | 'held';
  readonly invoice?: RelayInvoice;
}

export async function sendMessage(input: SendInput): Promise<SendReport> {
  const { key } = input;
  const recipient = await input.directory.resolve(input.to);
  const to = input.to.trim();
  const at = input.now();
  const content = await composeContent(
    { from: { name: parseAddress(key.address).username, address: key.address }, to, subject: input.subject, body: input.body, date: new Date(at) },
    newMessageId(key.address, input.rng),
  );
  const envelope = createMessage({ privateKey: key.privateKey, to: [recipient.publicKey], content, timestamp: Math.floor(at / 1000), relays: [...key.relays] }, input.rng);
  const pool = new RelayPool({ urls: [], openOnDemand: true, logger: warningLogger(input.warn), limits: CLIENT_RELAY_LIMITS });
  let outcomes: RelayOutcome[];
  try {
    outcomes = await pool.publishTo(envelope, recipient.relays);
  } finally {
    await pool.close();
  }
  const relays = outcomes.map((o) => (o.status === 'failed' ? { relay: o.relay, status: o.status, error: o.error.message } : { relay: o.relay, status: o.status }));
  const accepted = outcomes.filter((o) => o.status !== 'failed');
  if (accepted.length === 0) {
    throw new CliError(`no relay of ${to} accepted the message: ${relays.map((r) => r.error).join('; ')}`, EXIT.failure);
  }
  const invoice = accepted.map((o) => o.invoice).find((i) => i?.purpose === 'postage');
  return { id: envelope.id, to, recipientKey: recipient.publicKey, relays, state: invoice ? 'held' : 'delivered', ...(invoice ? { invoice } : {}) };
}
