// user.add {address, password, mnemonic?}: create a user with a new identity, or the one of
// `mnemonic` → {userId, address, lnmpAddress, publicKey, mnemonic?}. Password and mnemonic
// are never logged.
import * as z from 'zod';
import { defineOp } from './op.js';

const args = z.strictObject({
  address: z.string().max(320),
  password: z.string().max(4096),
  mnemonic: z.string().max(1024).optional(),
});

export const userAdd = defineOp('user.add', args, (api, { address, password, mnemonic }) =>
  api.createUser(mnemonic === undefined ? { address, password } : { address, password, mnemonic }),
);
