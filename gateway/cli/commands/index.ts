// Every CLI command, one file each. To add a command, write commands/<name>.ts exporting
// `register(program, io)` and list it here; subcommands of a group (`domain add`) share the
// group through `commandGroup`.
import type { Command } from 'commander';
import type { CliIo } from '../io.js';
import { register as registerAddress } from './address.js';
import { register as registerConfig } from './config.js';
import { register as registerDomainAdd } from './domain-add.js';
import { register as registerDomainDns } from './domain-dns.js';
import { register as registerDomainList } from './domain-list.js';
import { register as registerKeygen } from './keygen.js';
import { register as registerQueue } from './queue.js';
import { register as registerStart } from './start.js';
import { register as registerUserAdd } from './user-add.js';
import { register as registerUserList } from './user-list.js';
import { register as registerUserPasswd } from './user-passwd.js';
import { register as registerUserDelete } from './user-delete.js';
import { register as registerUserExportKey } from './user-export-key.js';
import { register as registerUserImportKey } from './user-import-key.js';
import { register as registerToken } from './token.js';
import { register as registerStatus } from './status.js';
import { register as registerInit } from './init.js';
import { register as registerImport } from './import.js';
import { register as registerPostage } from './postage.js';
import { register as registerContacts } from './contacts.js';
import { register as registerDev } from './dev.js';
import { register as registerClient } from './client.js';

export type RegisterCommand = (program: Command, io: CliIo) => void;

export const COMMANDS: readonly RegisterCommand[] = [
  registerInit,
  registerStart,
  registerConfig,
  registerDomainAdd,
  registerDomainList,
  registerDomainDns,
  registerUserAdd,
  registerUserList,
  registerUserPasswd,
  registerUserDelete,
  registerUserExportKey,
  registerUserImportKey,
  registerToken,
  registerStatus,
  registerContacts,
  registerPostage,
  registerQueue,
  registerImport,
  registerDev,
  registerKeygen,
  registerAddress,
  registerClient,
];
