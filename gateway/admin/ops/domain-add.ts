// domain.add {name}: host a new mail domain → {id, name}.
import * as z from 'zod';
import { defineOp } from './op.js';

export const domainAdd = defineOp('domain.add', z.strictObject({ name: z.string().max(253) }), (api, args) => api.addDomain(args.name));
