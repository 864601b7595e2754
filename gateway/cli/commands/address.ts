// `lnmp-gateway address verify ADDRESS --pubkey HEX`: exit 0 when the address checksum
// belongs to the key, 1 when it does not, 2 when the address or key is malformed.
import type { Command } from 'commander';
import { CliError, EXIT } from '../errors.js';
import type { CliIo } from '../io.js';

export function register(program: Command, io: CliIo): void {
  const address = program.command('address').description('work with LNMP addresses (username#checksum@host)');
  address
    .command('verify')
    .description('check that ADDRESS belongs to the public key (exit 0 yes, 1 no, 2 malformed)')
    .argument('<address>', 'LNMP address, e.g. alice#3xK9pQ@example.test')
    .requiredOption('--pubkey <hex>', 'x-only public key, 64 hex characters')
    .action(async (input: string, options: { pubkey: string }) => {
      const { checksumMatches, isLnmpError, parseAddress, parsePublicKey } = await import('../../../core/index.js');
      let parsed;
      try {
        parsePublicKey(options.pubkey, '--pubkey');
        parsed = parseAddress(input);
      } catch (err) {
        if (isLnmpError(err)) throw new CliError(`malformed: ${err.message}`, EXIT.usage, { cause: err });
        throw err;
      }
      if (!checksumMatches(parsed, options.pubkey.toLowerCase())) {
        throw new CliError(`mismatch: checksum ${parsed.checksum} of ${input} does not belong to this public key and username`, EXIT.failure);
      }
      io.stdout(`ok: ${input} belongs to ${options.pubkey.toLowerCase()}\n`);
    });
}
