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

export type RegisterCommand = (program: Command, io: CliIo) => void;

export const COMMANDS: readonly RegisterCommand[] = [
  registerStart,
  registerConfig,
  registerDomainAdd,
  registerDomainList,
  registerDomainDns,
  registerUserAdd,
  registerUserList,
  registerQueue,
  registerKeygen,
  registerAddress,
];
