// Every admin operation, one file each. To add one, name it in protocol.ts's
// ADMIN_OP_NAMES, write ops/<name>.ts with defineOp, list it here and in client.ts.
import type { AdminOp } from './op.js';
import { domainAdd } from './domain-add.js';
import { domainDns } from './domain-dns.js';
import { domainList } from './domain-list.js';
import { queueList, queueRetry } from './queue.js';
import { userAdd } from './user-add.js';
import { userList } from './user-list.js';
import { userPasswd } from './user-passwd.js';
import { userDelete } from './user-delete.js';
import { userExportKey } from './user-export-key.js';
import { tokenCreate, tokenList, tokenRevoke } from './token.js';
import { status } from './status.js';
import { mailImport, mailImportState } from './mail-import.js';
import { contactsSet, contactsShow, devPay, postageSet, postageShow } from './postage.js';

export const ADMIN_OPS: ReadonlyMap<string, AdminOp> = new Map([domainAdd, domainList, domainDns, userAdd, userList, queueList, queueRetry, userPasswd, userDelete, userExportKey, tokenCreate, tokenList, tokenRevoke, status, mailImportState, mailImport, postageShow, postageSet, contactsShow, contactsSet, devPay].map((op) => [op.name, op]));
