// Builds the lnmp-gateway command-line program and runs it. All errors, commander's
// usage errors included, end here and leave as "lnmp-gateway: <message>" plus an exit code.
import { Command } from 'commander';
import { VERSION } from '../version.js';
import { COMMANDS } from './commands/index.js';
import { describeError, EXIT } from './errors.js';
import type { CliIo } from './io.js';

export const PROGRAM_NAME = 'lnmp-gateway';

export function buildProgram(io: CliIo): Command {
  const program = new Command(PROGRAM_NAME);
  // Set before any command is added: subcommands copy these settings when created.
  program
    .description('Email-compatible gateway for LNMP: SMTP, IMAP and JMAP in front of signed, encrypted, postage-paid messaging')
    .version(VERSION, '-V, --version', 'print the version')
    .exitOverride()
    .configureOutput({
      writeOut: io.stdout,
      // Commander's own error text and error-time help are dropped: runCli reports the
      // error in one line instead.
      writeErr: () => {},
      outputError: () => {},
    });
  for (const register of COMMANDS) register(program, io);
  return program;
}

/** Runs the program on `argv` (arguments only, without node and script) and returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    await buildProgram(io).parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (err) {
    const { lines, code } = describeError(err);
    for (const line of lines) io.stderr(`${PROGRAM_NAME}: ${line}\n`);
    return code;
  }
}
