// `lnmp-gateway contacts show ADDRESS [CONTACT]` and `contacts set ADDRESS CONTACT STANDING`:
// how a user knows a correspondent (friend: free; acquaintance: the lower price; blocked:
// Screener, never an invoice; stranger: none of these). Contacts are stored as keyed
// hashes, so they can be checked and set one by one and counted, never listed.
import type { Command } from 'commander';
import { withAdminApi } from '../admin-api.js';
import { CliError, EXIT } from '../errors.js';
import type { CliIo } from '../io.js';
import { commandGroup, configOption, loadCliConfig } from '../options.js';

const STANDINGS = ['friend', 'acquaintance', 'blocked', 'stranger'] as const;
type Standing = (typeof STANDINGS)[number];

export function register(program: Command, io: CliIo): void {
  const contacts = commandGroup(program, 'contacts', "check and set a user's contacts (friends, acquaintances, blocked)");
  contacts
    .command('show')
    .description('how the user knows CONTACT; without it, how many contacts of each kind the user has')
    .argument('<address>', "the user's address")
    .argument('[contact]', "a correspondent's address")
    .addOption(configOption())
    .option('--json', 'print JSON')
    .action(async (address: string, contact: string | undefined, options: { config?: string; json?: boolean }) => {
      const { config } = await loadCliConfig(io, options.config);
      const result = await withAdminApi(config, (api) => api.contactsShow({ address, ...(contact !== undefined ? { contact } : {}) }));
      if (options.json) io.stdout(`${JSON.stringify(result)}\n`);
      else if ('standing' in result) io.stdout(`${result.contact}: ${result.standing}\n`);
      else io.stdout(`friends ${result.friend}, acquaintances ${result.acquaintance}, blocked ${result.blocked}\n`);
    });
  contacts
    .command('set')
    .description('make CONTACT a friend, an acquaintance, blocked, or a stranger again')
    .argument('<address>', "the user's address")
    .argument('<contact>', "a correspondent's address")
    .argument('<standing>', STANDINGS.join(' | '))
    .addOption(configOption())
    .action(async (address: string, contact: string, standing: string, options: { config?: string }) => {
      if (!(STANDINGS as readonly string[]).includes(standing)) throw new CliError(`standing must be one of ${STANDINGS.join(', ')}, got "${standing}"`, EXIT.usage);
      if (!/^[^@\s]+@[^@\s]+$/.test(contact)) throw new CliError(`"${contact}" is not an address`, EXIT.usage);
      const { config } = await loadCliConfig(io, options.config);
      const result = await withAdminApi(config, (api) => api.contactsSet({ address, contact, standing: standing as Standing }));
      io.stdout(`${result.contact}: ${result.standing}\n`);
    });
}
