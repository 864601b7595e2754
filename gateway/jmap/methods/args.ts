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

/** The arguments of Email/get and Email/parse besides the ids (RFC 8621 §4.2, §4.9). */
export const EmailReadArgs = {
  properties: z.array(z.string()).nullish(),
  bodyProperties: z.array(z.string()).nullish(),
  fetchTextBodyValues: z.boolean().optional(),
  fetchHTMLBodyValues: z.boolean().optional(),
  fetchAllBodyValues: z.boolean().optional(),
  maxBodyValueBytes: UnsignedInt.optional(),
};

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

const Comparator = z.strictObject({ property: z.string(), isAscending: z.boolean().optional(), collation: z.string().optional() });

/** The arguments of a /query (RFC 8620 §5.5); a method adds its own with `.extend`. */
export const QueryArgs = z.strictObject({
  accountId: AccountId,
  filter: z.record(z.string(), z.unknown()).nullish(),
  sort: z.array(Comparator).nullish(),
  position: z.number().int().optional(),
  anchor: Id.nullish(),
  anchorOffset: z.number().int().optional(),
  limit: UnsignedInt.nullish(),
  calculateTotal: z.boolean().optional(),
});

/** A /get's list and notFound: each wanted id's object with the asked properties (RFC 8620 §5.1). */
export function pickObjects(
  all: ReadonlyMap<string, Readonly<Record<string, unknown>>>, ids: readonly string[] | null | undefined, properties: ReadonlySet<string>, order: readonly string[],
): { list: Array<Record<string, unknown>>; notFound: string[] } {
  const wanted = ids ? [...new Set(ids)] : [...all.keys()];
  const list = wanted.flatMap((id) => {
    const object = all.get(id);
    return object ? [Object.fromEntries(order.filter((p) => properties.has(p)).map((p) => [p, object[p]]))] : [];
  });
  return { list, notFound: wanted.filter((id) => !all.has(id)) };
}
