// mail.import-state {address, source, folders: [{path, delimiter?, specialUse?, uidvalidity}]}:
// per folder the legacy UIDs already imported for the user → [[uid...]...] (no folders: only
// checks that the user exists). mail.import {address, source, folder, uidvalidity, uid, flags,
// internalDate (epoch ms), raw (base64)}: imports one message → "imported" | "skipped".
// One message per request: the request line limit is derived from the largest message.
import * as z from 'zod';
import type { ImportedMessage } from '../../../services/mail-import.js';
import { MAX_IMPORT_MESSAGE_BYTES } from '../limits.js';
import { defineOp } from './op.js';

const UID_MAX = 2 ** 32 - 1;
const folder = z.strictObject({
  path: z.string().min(1).max(1024),
  delimiter: z.string().max(1).optional(),
  specialUse: z.string().max(64).optional(),
});
const uid32 = z.int().min(1).max(UID_MAX);

export const mailImportState = defineOp(
  'mail.import-state',
  z.strictObject({
    address: z.string().max(320),
    source: z.string().max(1024),
    folders: z.array(folder.extend({ uidvalidity: uid32 })).max(10_000),
  }),
  (api, args) => api.importState(args),
);

export const mailImport = defineOp(
  'mail.import',
  z.strictObject({
    address: z.string().max(320),
    source: z.string().max(1024),
    folder,
    uidvalidity: uid32,
    uid: uid32,
    flags: z.array(z.string().max(128)).max(1000),
    internalDate: z.int().min(0),
    raw: z.base64().max(Math.ceil(MAX_IMPORT_MESSAGE_BYTES / 3) * 4),
  }),
  (api, args) => api.importMessage({ ...args, internalDate: new Date(args.internalDate), raw: new Uint8Array(Buffer.from(args.raw, 'base64')) }),
);

/** The wire form of a `mail.import` request, for the admin client. */
export function importArgs(input: ImportedMessage): Record<string, unknown> {
  const { path, delimiter, specialUse } = input.folder;
  return {
    address: input.address,
    source: input.source,
    folder: { path, ...(delimiter ? { delimiter } : {}), ...(specialUse ? { specialUse } : {}) },
    uidvalidity: input.uidvalidity,
    uid: input.uid,
    flags: [...input.flags],
    internalDate: input.internalDate.getTime(),
    raw: Buffer.from(input.raw.buffer, input.raw.byteOffset, input.raw.byteLength).toString('base64'),
  };
}
