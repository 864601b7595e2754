// The change event as data: its kinds and the zod schema both notifiers check it
// against, on publish (to catch a bad event where it is made) and, for Redis, on
// receipt (the channel is shared with every process that can reach the server).
import { z } from 'zod';
import type { ChangeEvent } from './notifier.js';

export const CHANGE_KINDS = ['email', 'mailbox', 'thread', 'identity', 'submission', 'vacation', 'postage'] as const;

export type ChangeKind = (typeof CHANGE_KINDS)[number];

// A plain (not strict) object: unknown keys are stripped rather than rejected, so a
// newer gateway adding a field does not make older ones drop its events mid-upgrade.
export const changeEventSchema: z.ZodType<ChangeEvent> = z.object({
  userId: z.int().positive(),
  modseq: z.int().nonnegative(),
  mailboxId: z.int().positive().optional(),
  kind: z.enum(CHANGE_KINDS),
});

export type ParsedEvent = { ok: true; event: ChangeEvent } | { ok: false; reason: string };

/** Validates `value` and returns a fresh copy holding only the event's own fields. */
export function parseChangeEvent(value: unknown): ParsedEvent {
  const result = changeEventSchema.safeParse(value);
  if (result.success) return { ok: true, event: result.data };
  const reason = result.error.issues
    .map((issue) => `${issue.path.length === 0 ? '(event)' : issue.path.map(String).join('.')}: ${issue.message}`)
    .join('; ');
  return { ok: false, reason };
}

/** The event as validated copy; a bad event is a programming error in the publisher. */
export function checkedChangeEvent(event: ChangeEvent): ChangeEvent {
  const parsed = parseChangeEvent(event);
  if (!parsed.ok) throw new TypeError(`invalid change event: ${parsed.reason}`);
  return parsed.event;
}

/** `userId` if it can be an account id (a positive safe integer); subscribing to anything else is a bug. */
export function checkedUserId(userId: number): number {
  if (!Number.isSafeInteger(userId) || userId <= 0) throw new TypeError(`invalid user id: ${userId}`);
  return userId;
}
