// user.list {}: every user → [{userId, address, lnmpAddress, publicKey, status, createdAt}], by address.
import * as z from 'zod';
import { defineOp } from './op.js';

export const userList = defineOp('user.list', z.strictObject({}), (api) => api.listUsers());
