// Mail the gateway writes itself (delivery status notifications, later notices): signed by the
// gateway's identity like mail from the MX, but straight to the user's INBOX. It is the
// gateway reporting on the user's own mail, so the postage gate and the Screener do not apply.
import { createMessage, type Identity, type Rng } from '../core/index.js';
import { mimeToContent } from '../converters/index.js';
import type { MessageMeta, MessageService } from './message-service.js';

export interface SystemMailDeps {
  readonly messages: Pick<MessageService, 'deliver'>;
  /** The gateway identity that signs the envelope. */
  readonly gateway: Pick<Identity, 'privateKey'>;
  readonly rng: Rng;
  readonly now?: () => number;
}

/** Delivers `raw` (a complete MIME message) into the INBOX of `userId`. */
export async function deliverSystemMail(deps: SystemMailDeps, userId: number, raw: Uint8Array): Promise<MessageMeta> {
  const content = await mimeToContent(raw);
  const timestamp = Math.floor((deps.now ?? Date.now)() / 1000);
  return deps.messages.deliver({
    userId,
    role: 'inbox',
    raw,
    envelope: (publicKey) => createMessage({ privateKey: deps.gateway.privateKey, to: [publicKey], content, timestamp }, deps.rng),
  });
}
