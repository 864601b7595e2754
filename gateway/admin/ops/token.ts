// token.create {address, password, name?} → {name, token, createdAt} (the token once);
// token.list {address} → [{name, createdAt, lastUsedAt}]; token.revoke {address, name} → null.
import * as z from 'zod';
import { MAX_TOKEN_NAME_CHARS } from '../../../services/token-service.js';
import { defineOp } from './op.js';

const address = z.string().max(320);
const name = z.string().max(MAX_TOKEN_NAME_CHARS);

export const tokenCreate = defineOp('token.create', z.strictObject({ address, password: z.string().max(4096), name: name.optional() }), (api, input) =>
  api.createToken(input.name === undefined ? { address: input.address, password: input.password } : { address: input.address, password: input.password, name: input.name }),
);

export const tokenList = defineOp('token.list', z.strictObject({ address }), (api, args) => api.listTokens(args.address));

export const tokenRevoke = defineOp('token.revoke', z.strictObject({ address, name }), async (api, input) => {
  await api.revokeToken(input);
  return null;
});
