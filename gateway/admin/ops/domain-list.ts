// domain.list {}: the hosted domains → [{id, name}], by name.
import * as z from 'zod';
import { defineOp } from './op.js';

export const domainList = defineOp('domain.list', z.strictObject({}), (api) => api.listDomains());
