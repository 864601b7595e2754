// status {}: the running gateway's listeners, backends, queue depth, relay connections,
// uptime and version → GatewayStatus (gateway/admin/status.ts).
import * as z from 'zod';
import { defineOp } from './op.js';

export const status = defineOp('status', z.strictObject({}), (api) => api.status());
