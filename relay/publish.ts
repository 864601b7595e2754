// PUBLISH: size, per-IP rate, id and signature (core verifyMessage), expiry, per-key rate,
// the optional relay fee, then store (dedupe by id) and fan out to live subscriptions (and,
// through the fan-out transport, to those of the other relay processes).
// Each refusal is a RelayError whose code is the reason prefix of the ERROR frame.
import { verifyMessage, type VerifiedMessage } from '../core/envelope.js';
import { RelayError } from './errors.js';
import { frames, type PublishFrame } from './frames.js';
import type { PostageInvoice, RelayContext, RelayPeer } from './context.js';

async function checkRate(ctx: RelayContext, key: string, max: number, who: string): Promise<void> {
  const count = await ctx.counters.hit(key, ctx.limits.publishWindowMs);
  if (count > max) throw new RelayError('rate_limited', `more than ${max} publishes per ${ctx.limits.publishWindowMs / 1000} s from ${who}`);
}

/** The relays a PUBLISH asks to be forwarded to, this one left out. */
function forwardTargets(ctx: RelayContext, frame: PublishFrame): string[] {
  if (frame.targetRelays === undefined) return [];
  if (!ctx.forward) throw new RelayError('invalid', 'targetRelays: this relay does not forward');
  return [...new Set(frame.targetRelays)].filter((url) => url !== ctx.url);
}

/** Stored already: a failure to queue the forward is logged, the PUBLISH still succeeds. */
async function forward(ctx: RelayContext, message: VerifiedMessage, targets: readonly string[]): Promise<void> {
  try {
    await ctx.forward!(message, targets);
  } catch (err) {
    ctx.logger.warn('relay forward not queued', { id: message.id, targets: targets.length, err });
  }
}

async function deliverLocally(ctx: RelayContext, message: VerifiedMessage): Promise<readonly PostageInvoice[]> {
  try {
    return await ctx.deliver!(message);
  } catch (err) {
    if (err instanceof RelayError) throw err;
    ctx.logger.warn('relay delivery failed', { id: message.id, err });
    throw new RelayError('error', 'the recipient could not take the envelope now; publish it again later');
  }
}

export async function handlePublish(ctx: RelayContext, peer: RelayPeer, frame: PublishFrame, frameBytes: number): Promise<void> {
  const { limits } = ctx;
  if (frameBytes > limits.maxMessageBytes) throw new RelayError('invalid', `oversize: frame of ${frameBytes} bytes exceeds ${limits.maxMessageBytes}`);
  // Before any signature is checked, so a flood costs the relay no verification work.
  await checkRate(ctx, `relay:publish:ip:${peer.ip}`, limits.publishesPerIp, 'this address');
  const verified = verifyMessage(frame.message);
  if (!verified.ok) throw new RelayError('invalid', verified.error.message.slice(0, 300));
  const message = verified.message;
  const nowMs = ctx.now();
  if (message.expiry !== undefined && message.expiry <= Math.floor(nowMs / 1000)) {
    throw new RelayError('invalid', `expired: expiry ${message.expiry} is in the past`);
  }
  // After verification, so nobody can spend another key's quota.
  await checkRate(ctx, `relay:publish:key:${message.from}`, limits.publishesPerKey, 'this key');
  if (ctx.admit) {
    const admission = await ctx.admit(message);
    if (!admission.accept) {
      peer.send(frames.invoice({ ref: message.id, ...admission.invoice }));
      throw new RelayError('payment_required', `relay fee of ${admission.invoice.amount} sats; pay the invoice and publish again`);
    }
  }
  const targets = forwardTargets(ctx, frame);
  const invoices = ctx.deliver ? await deliverLocally(ctx, message) : [];
  // Serialised once, for the INSERT and for every subscriber.
  const json = JSON.stringify(message);
  if (!(await ctx.store.insert(message, nowMs, json))) throw new RelayError('duplicate', 'already stored');
  ctx.subscriptions.fanOutJson(message, json);
  ctx.fanout?.announce(message);
  if (targets.length > 0) await forward(ctx, message, targets);
  for (const invoice of invoices) peer.send(frames.invoice({ ref: message.id, purpose: 'postage', ...invoice }));
  peer.send(frames.ok('PUBLISH', message.id));
}
