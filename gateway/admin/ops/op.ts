// How an admin operation is declared: its name, a zod schema for its args, and the one
// AdminApi call it makes. Ops translate only; the rules live in the services they call.
import type * as z from 'zod';
import type { AdminApi } from '../api.js';
import { AdminError } from '../errors.js';
import { describeIssues, type AdminOpName } from '../protocol.js';

export interface AdminOp {
  readonly name: AdminOpName;
  /** Validates `args` (AdminError `bad_request` when invalid) and runs the operation. */
  run(api: AdminApi, args: unknown): Promise<unknown>;
}

export function defineOp<S extends z.ZodType>(name: AdminOpName, args: S, run: (api: AdminApi, args: z.output<S>) => Promise<unknown>): AdminOp {
  return {
    name,
    async run(api, raw) {
      const parsed = args.safeParse(raw);
      if (!parsed.success) throw new AdminError('bad_request', `invalid args for ${name}: ${describeIssues(parsed.error)}`);
      return run(api, parsed.data);
    },
  };
}
