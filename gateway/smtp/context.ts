// What the MX hooks share: the services they call and the per-message facts they need.
// Recipients accepted at RCPT remember the user they resolved to, so DATA does not look
// them up again (smtp-server keeps the same address object in the envelope).
import type { SMTPServerAddress } from 'smtp-server';
import type { Rng } from '../../core/index.js';
import type { AccountService } from '../../services/account-service.js';
import type { InboundMail } from '../../services/inbound-mail.js';
import type { Logger } from '../log.js';
import type { DNSResolver } from './authentication.js';

export interface MxContext {
  readonly accounts: Pick<AccountService, 'resolveAddress' | 'isHostedDomain'>;
  readonly inbound: Pick<InboundMail, 'deliver'>;
  /** Our host name: banner, Received `by`, Authentication-Results authserv-id. */
  readonly hostname: string;
  readonly resolver: DNSResolver;
  readonly logger: Logger;
  readonly rng: Rng;
  readonly now: () => Date;
  readonly maxMessageBytes: number;
  readonly recipients: WeakMap<SMTPServerAddress, number>;
  /** Called once per delivered message with where its time went (benchmarks, metrics). */
  readonly observe: ((timing: MxTiming) => void) | undefined;
}

/** Milliseconds from the end of DATA: authentication (SPF/DKIM/DMARC/ARC), delivery (convert, sign, seal, commit), total until the reply. */
export interface MxTiming {
  readonly authMs: number;
  readonly deliverMs: number;
  readonly totalMs: number;
}
