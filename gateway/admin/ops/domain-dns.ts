// domain.dns {name}: the DNS records a hosted domain publishes → [{name, type, ttl, value}].
import * as z from 'zod';
import { defineOp } from './op.js';

export const domainDns = defineOp('domain.dns', z.strictObject({ name: z.string().max(253) }), (api, args) => api.domainDns(args.name));
