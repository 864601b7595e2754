// Reading passwords and mnemonics for the account commands: whole lines from stdin
// (`--password-stdin`, `--mnemonic-stdin`), else prompts on the terminal without echo. Never
// from argv. Also the one wording of a failed password check.
import { isServiceError } from '../../services/errors.js';
import { CliError, EXIT } from './errors.js';
import type { CliIo } from './io.js';

/** An existing password: the next stdin line, or one prompt. `what` names it in errors ("current password"). */
export async function readPassword(io: CliIo, fromStdin: boolean, prompt = 'Password: ', what = 'password'): Promise<string> {
  if (fromStdin) {
    const line = await io.stdin.readLine();
    if (line === undefined) throw new CliError(`no ${what} on stdin`, EXIT.usage);
    return line;
  }
  if (!io.stdin.isTTY) throw new CliError('no password: use --password-stdin or run in a terminal', EXIT.usage);
  return io.stdin.readHidden(prompt);
}

/** A new password: the next stdin line, or a prompt typed twice. */
export async function readNewPassword(io: CliIo, fromStdin: boolean, prompt = 'Password: ', what = 'password'): Promise<string> {
  const password = await readPassword(io, fromStdin, prompt, what);
  if (!fromStdin && (await io.stdin.readHidden(`Repeat ${prompt.charAt(0).toLowerCase()}${prompt.slice(1)}`)) !== password) {
    throw new CliError('the passwords do not match', EXIT.usage);
  }
  return password;
}

/** A BIP39 mnemonic: the next stdin line, or a prompt without echo. */
export async function readMnemonic(io: CliIo, fromStdin: boolean): Promise<string> {
  if (!fromStdin && !io.stdin.isTTY) throw new CliError('no mnemonic: use --mnemonic-stdin or run in a terminal', EXIT.usage);
  const line = fromStdin ? await io.stdin.readLine() : await io.stdin.readHidden('Mnemonic: ');
  if (line === undefined) throw new CliError('no mnemonic on stdin', EXIT.usage);
  return line;
}

/** Runs `work`; a failed password check becomes one line naming the address (exit 1). */
export async function withPasswordCheck<T>(address: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (isServiceError(err, 'auth_failed')) throw new CliError(`wrong password for ${address}, or no such user`, EXIT.failure, { cause: err });
    throw err;
  }
}
