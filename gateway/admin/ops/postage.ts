// postage.show {address}, postage.set {address, policy}, contacts.show {address, contact?},
// contacts.set {address, contact, standing}, dev.pay {bolt11}: see ../postage-admin.ts.
import * as z from 'zod';
import { defineOp } from './op.js';

const address = z.string().min(1).max(320);
const sats = z.int().min(0).max(100_000_000).nullable();

export const postageShow = defineOp('postage.show', z.strictObject({ address }), (api, args) => api.postageShow(args.address));

export const postageSet = defineOp(
  'postage.set',
  z.strictObject({
    address,
    policy: z.strictObject({
      strangerSats: sats.optional(),
      acquaintanceSats: sats.optional(),
      prioritySats: sats.optional(),
      surgeUnread: z.int().min(1).max(1_000_000).nullable().optional(),
      refundOnReply: z.boolean().nullable().optional(),
      autoReply: z.boolean().nullable().optional(),
    }),
  }),
  (api, args) => api.postageSet({ address: args.address, policy: Object.fromEntries(Object.entries(args.policy).filter(([, v]) => v !== undefined)) }),
);

export const contactsShow = defineOp('contacts.show', z.strictObject({ address, contact: address.optional() }), (api, args) =>
  api.contactsShow({ address: args.address, ...(args.contact !== undefined ? { contact: args.contact } : {}) }),
);

export const contactsSet = defineOp(
  'contacts.set',
  z.strictObject({ address, contact: address, standing: z.enum(['friend', 'acquaintance', 'blocked', 'stranger']) }),
  (api, args) => api.contactsSet(args),
);

export const devPay = defineOp('dev.pay', z.strictObject({ bolt11: z.string().min(1).max(4096) }), (api, args) => api.devPay(args.bolt11));
