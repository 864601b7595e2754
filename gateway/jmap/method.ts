// The shape of one JMAP method: its name, the capability that must be in `using`, a zod schema
// of its arguments (a mismatch is `invalidArguments`) and the call itself.
import type { z } from 'zod';
import type { MethodContext } from './context.js';
import { MethodError } from './errors.js';

export interface JmapMethod {
  readonly name: string;
  readonly capability: string;
  /** Runs the method on arguments already freed of result references. @throws MethodError */
  call(args: Record<string, unknown>, ctx: MethodContext): Promise<Record<string, unknown>>;
}

export function defineMethod<S extends z.ZodType>(
  name: string, capability: string, schema: S, run: (args: z.infer<S>, ctx: MethodContext) => Promise<Record<string, unknown>>,
): JmapMethod {
  return {
    name,
    capability,
    async call(args, ctx) {
      const parsed = schema.safeParse(args);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new MethodError('invalidArguments', `${issue.path.length > 0 ? `${issue.path.join('/')}: ` : ''}${issue.message}`);
      }
      return run(parsed.data, ctx);
    },
  };
}

/** Responses a method adds after its own, under the same call id (RFC 8621 §7.5: the implicit Email/set). */
const FOLLOW_UPS = Symbol('followUps');

type WithFollowUps = Record<string, unknown> & { [FOLLOW_UPS]?: Array<[string, Record<string, unknown>]> };

export function withFollowUps(result: Record<string, unknown>, followUps: Array<[string, Record<string, unknown>]>): Record<string, unknown> {
  return followUps.length === 0 ? result : Object.assign(result, { [FOLLOW_UPS]: followUps });
}

export function followUpsOf(result: Record<string, unknown>): Array<[string, Record<string, unknown>]> {
  return (result as WithFollowUps)[FOLLOW_UPS] ?? [];
}
