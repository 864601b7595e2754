// Argument shapes shared by the standard methods (RFC 8620 §5).
import { z } from 'zod';
import { MAX_OBJECTS_IN_GET } from '../limits.js';
import { MethodError } from '../errors.js';

export const AccountId = z.string();
export const Id = z.string().min(1).max(255).regex(/^[A-Za-z0-9_-]+$/, 'not a JMAP id');
export const UnsignedInt = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const ChangesArgs = z.strictObject({
  accountId: AccountId,
  sinceState: z.string(),
  maxChanges: UnsignedInt.min(1).nullish(),
});

/** The ids of a /get, refusing more than maxObjectsInGet. */
export function checkGetSize(ids: readonly unknown[] | null | undefined): void {
  if (ids && ids.length > MAX_OBJECTS_IN_GET) throw new MethodError('requestTooLarge', `at most ${MAX_OBJECTS_IN_GET} ids per /get`);
}

/** The properties to return: the requested ones (all known, `id` always) or the defaults. */
export function propertiesOf(requested: readonly string[] | null | undefined, known: ReadonlySet<string>, defaults: readonly string[]): Set<string> {
  if (requested === null || requested === undefined) return new Set(defaults);
  const unknown = requested.find((p) => !known.has(p));
  if (unknown !== undefined) throw new MethodError('invalidArguments', `unknown or unsupported property ${unknown}`);
  return new Set(['id', ...requested]);
}
