// `lnmp-gateway keygen`: a new LNMP identity (24-word mnemonic), its public key and address.
import type { Command } from 'commander';
import { CliError, EXIT } from '../errors.js';
import type { CliIo } from '../io.js';

export function register(program: Command, io: CliIo): void {
  program
    .command('keygen')
    .description('create a new LNMP identity: prints its mnemonic, public key and address')
    .requiredOption('--username <name>', 'username of the address (a-z, 0-9, ".", "_", "-")')
    .requiredOption('--host <host>', 'host of the address, e.g. example.test')
    .option('--json', 'print JSON')
    .action(async (options: { username: string; host: string; json?: boolean }) => {
      const [{ formatAddress, isLnmpError, makeAddress, newIdentity }, { systemRng }] = await Promise.all([
        import('../../../core/index.js'),
        import('../../../services/random.js'),
      ]);
      const id = newIdentity(systemRng);
      let address: string;
      try {
        address = formatAddress(makeAddress(id.publicKey, options.username, options.host));
      } catch (err) {
        if (isLnmpError(err)) throw new CliError(err.message, EXIT.usage, { cause: err });
        throw err;
      } finally {
        id.privateKey.fill(0);
      }
      if (options.json) {
        io.stdout(`${JSON.stringify({ mnemonic: id.mnemonic, publicKey: id.publicKey, address })}\n`);
      } else {
        io.stdout(`mnemonic:   ${id.mnemonic}\npublic key: ${id.publicKey}\naddress:    ${address}\n`);
      }
    });
}
