// user.delete {address}: remove a user and everything stored for them → {address, messages}.
import * as z from 'zod';
import { defineOp } from './op.js';

export const userDelete = defineOp('user.delete', z.strictObject({ address: z.string().max(320) }), (api, args) => api.deleteUser(args.address));
