// The change notifier's error catalogue. Creation failures reject `createNotifier`;
// failures after creation either reject the call that caused them (publish) or, when
// no caller is waiting (a listener threw, a bad message arrived, a connection dropped),
// go to the `onError` hook, so one bad event or listener never stops the others.
import { CodedError } from '../core/coded-error.js';

export const NOTIFIER_ERRORS = {
  notifier_unavailable: 'the notifier could not connect to Redis when it was created',
  notifier_closed: 'publish or subscribe was called after close()',
  publish_failed: 'an event could not be handed to Redis (the change itself is committed)',
  subscribe_failed: 'Redis did not accept a SUBSCRIBE or UNSUBSCRIBE for a user channel',
  connection_error: 'a Redis connection reported an error; ioredis reconnects by itself',
  payload_invalid: 'a message on a change channel was not a valid change event and was dropped',
  listener_failed: 'a change listener threw; the other listeners still received the event',
} as const;

export type NotifierErrorCode = keyof typeof NOTIFIER_ERRORS;

export class NotifierError extends CodedError<NotifierErrorCode> {
  override readonly name = 'NotifierError';
}

/** One line for an unknown thrown value; Node's AggregateError (dual-stack connect) has an empty message. */
export function describeCause(err: unknown): string {
  if (err instanceof Error) {
    if (err.message !== '') return err.message;
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    return err.name;
  }
  return String(err);
}
