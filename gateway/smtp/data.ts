// DATA on the MX: read the whole message within the size limit, refuse bare <LF> (SMTP
// smuggling), prepend Received and Authentication-Results, keep the rest byte-exact, and
// hand the result to InboundMail, which makes it a signed, sealed LNMP envelope per recipient
// in the INBOX or Screener the postage gate chooses. The reply is 250 only once every
// delivery committed.
import type { SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import { toHex } from '../../core/index.js';
import { authenticateMessage } from './authentication.js';
import { hasBareLf } from './bare-newline.js';
import { readMessage } from './read-message.js';
import type { MxContext } from './context.js';
import { replies, replyForError, type SmtpReply } from './replies.js';
import { receivedHeader } from './trace-headers.js';

/** Bytes of randomness in a queue id (shown in Received and in logs). */
const QUEUE_ID_BYTES = 6;

export async function onData(ctx: MxContext, stream: SMTPServerDataStream, session: SMTPServerSession): Promise<string> {
  const queueId = toHex(ctx.rng(QUEUE_ID_BYTES));
  const log = ctx.logger.child({ queueId, session: session.id });
  const original = await readMessage(stream, ctx.maxMessageBytes);
  if (original === undefined || stream.sizeExceeded) throw replies.tooLarge();
  if (hasBareLf(original)) {
    log.info('rejected', { reason: 'bare LF', ip: session.remoteAddress });
    throw replies.bareLf();
  }
  const endOfData = performance.now();
  const userIds = [...new Set(session.envelope.rcptTo.map((r) => ctx.recipients.get(r)))].filter((id): id is number => id !== undefined);
  try {
    const helo = session.hostNameAppearsAs;
    const sender = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
    const auth = await authenticateMessage({ message: original, ip: session.remoteAddress, helo, mta: ctx.hostname, sender, resolver: ctx.resolver });
    const received = receivedHeader({
      helo,
      remoteAddress: session.remoteAddress,
      hostname: ctx.hostname,
      protocol: session.openingCommand === 'HELO' ? (session.secure ? 'SMTPS' : 'SMTP') : session.secure ? 'ESMTPS' : 'ESMTP',
      queueId,
      recipients: session.envelope.rcptTo.map((r) => r.address),
      date: ctx.now(),
    });
    const raw = Buffer.concat([Buffer.from(received + auth.header, 'utf8'), original]);
    const authenticated = performance.now();
    const outcomes = await ctx.inbound.deliver({ raw, userIds, from: auth.from, fromAuthenticated: auth.fromAuthenticated, envelopeFrom: sender });
    const failures = outcomes.flatMap((o) => (o.ok ? [] : [replyForError(o.error)]));
    if (failures.length > 0) throw worst(failures);
    const done = performance.now();
    ctx.observe?.({ authMs: authenticated - endOfData, deliverMs: done - authenticated, totalMs: done - endOfData });
    log.info('delivered', { recipients: userIds.length, bytes: raw.length, decisions: outcomes.map((o) => (o.ok ? o.decision.reason : 'failed')) });
    return `2.0.0 OK queued as ${queueId}`;
  } catch (err) {
    const reply = replyForError(err);
    log.warn('not delivered', { reply: reply.line, err: reply.cause ?? err });
    throw reply;
  }
}

/**
 * A temporary failure wins: the sender retries and the recipients that failed get the
 * message (those already delivered may get it twice, the usual SMTP trade-off without LMTP).
 */
function worst(failures: readonly SmtpReply[]): SmtpReply {
  return failures.find((f) => f.temporary) ?? failures[0]!;
}
