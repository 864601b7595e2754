// user.export-key {address, password}: the identity's recovery form → {address, publicKey,
// mnemonic | privateKey}. The reply carries a secret: only the socket's owner can ask, and
// neither the password nor the reply is logged.
import * as z from 'zod';
import { defineOp } from './op.js';

const args = z.strictObject({ address: z.string().max(320), password: z.string().max(4096) });

export const userExportKey = defineOp('user.export-key', args, (api, input) => api.exportKey(input));
