// user.passwd {address, password, newPassword}: re-wrap the user's keys under a new password
// → null. Passwords are never logged.
import * as z from 'zod';
import { defineOp } from './op.js';

const args = z.strictObject({ address: z.string().max(320), password: z.string().max(4096), newPassword: z.string().max(4096) });

export const userPasswd = defineOp('user.passwd', args, async (api, input) => {
  await api.changePassword(input);
  return null;
});
