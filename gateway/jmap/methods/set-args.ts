// What every /set of this server shares (RFC 8620 §5.3): the argument shape, the size limit,
// ifInState, and per-object work whose refusal is that object's SetError.
import { z } from 'zod';
import { MethodError, setErrorOf, type SetError } from '../errors.js';
import { MAX_OBJECTS_IN_SET } from '../limits.js';
import { AccountId, Id } from './args.js';

export const SetArgs = z.strictObject({
  accountId: AccountId,
  ifInState: z.string().nullish(),
  create: z.record(z.string(), z.record(z.string(), z.unknown())).nullish(),
  update: z.record(Id, z.record(z.string(), z.unknown())).nullish(),
  destroy: z.array(Id).nullish(),
});

/** A refusal of one object of a /set. */
export class SetRefused extends Error {
  constructor(readonly setError: SetError) {
    super(setError.type);
  }
}

/** Refuses a /set over maxObjectsInSet, or whose ifInState is not the current state. @throws MethodError */
export function checkSet(args: { create?: object | null; update?: object | null; destroy?: readonly unknown[] | null; ifInState?: string | null }, state: string): void {
  const count = Object.keys(args.create ?? {}).length + Object.keys(args.update ?? {}).length + (args.destroy?.length ?? 0);
  if (count > MAX_OBJECTS_IN_SET) throw new MethodError('requestTooLarge', `at most ${MAX_OBJECTS_IN_SET} objects per /set`);
  if (args.ifInState !== undefined && args.ifInState !== null && args.ifInState !== state) throw new MethodError('stateMismatch');
}

/** Runs `work` for one object; a SetRefused or a known service error becomes its entry in `errors`. */
export async function attemptSet(errors: Record<string, SetError>, id: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    const setError = err instanceof SetRefused ? err.setError : setErrorOf(err);
    if (!setError) throw err;
    errors[id] = setError;
  }
}

/** The /set response's created/updated/destroyed and not* members: null where empty. */
export function setResult(r: { created?: Record<string, unknown>; updated?: Record<string, unknown>; destroyed?: string[]; notCreated?: Record<string, SetError>; notUpdated?: Record<string, SetError>; notDestroyed?: Record<string, SetError> }): Record<string, unknown> {
  const orNull = (v: object | undefined) => (v && Object.keys(v).length > 0 ? v : null);
  return {
    created: orNull(r.created), updated: orNull(r.updated), destroyed: orNull(r.destroyed),
    notCreated: orNull(r.notCreated), notUpdated: orNull(r.notUpdated), notDestroyed: orNull(r.notDestroyed),
  };
}

/** `value` read with `schema`; a mismatch is invalidProperties naming the first property at fault. @throws SetRefused */
export function parseObject<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const property = issue.code === 'unrecognized_keys' ? issue.keys[0]! : String(issue.path[0] ?? '');
  throw new SetRefused({ type: 'invalidProperties', properties: [property], description: issue.message });
}

/** The singleton's id of types with exactly one object (VacationResponse, PostagePolicy). */
export const SINGLETON_ID = 'singleton';

/**
 * The /set of a type with exactly one object, id "singleton": creates and destroys are
 * `singleton` errors, another id is notFound, and `update` applies the singleton's patch (its
 * SetRefused is that update's error). Returns the response's set members. @throws MethodError as checkSet
 */
export async function singletonSet(
  args: z.infer<typeof SetArgs>, type: string, oldState: string, update: (patch: Record<string, unknown>) => Promise<void>,
): Promise<Record<string, unknown>> {
  checkSet(args, oldState);
  const singleton: SetError = { type: 'singleton', description: `there is exactly one ${type}, "${SINGLETON_ID}"` };
  const notCreated = Object.fromEntries(Object.keys(args.create ?? {}).map((id) => [id, singleton]));
  const notDestroyed = Object.fromEntries((args.destroy ?? []).map((id) => [id, id === SINGLETON_ID ? singleton : { type: 'notFound' as const }]));
  const updated: Record<string, null> = {};
  const notUpdated: Record<string, SetError> = {};
  for (const [id, patch] of Object.entries(args.update ?? {})) {
    await attemptSet(notUpdated, id, async () => {
      if (id !== SINGLETON_ID) throw new SetRefused({ type: 'notFound' });
      await update(patch);
      updated[id] = null;
    });
  }
  return setResult({ updated, notCreated, notUpdated, notDestroyed });
}
