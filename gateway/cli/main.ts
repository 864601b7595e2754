#!/usr/bin/env node
// Entry point of the lnmp-gateway command (package.json "bin"): runs the CLI against the
// real process and exits with its code. Even a crash outside a command is one line.
import { describeError, EXIT } from './errors.js';
import { processIo } from './io.js';
import { PROGRAM_NAME, runCli } from './program.js';

function crash(err: unknown): never {
  const { lines } = describeError(err);
  for (const line of lines) process.stderr.write(`${PROGRAM_NAME}: ${line}\n`);
  process.exit(EXIT.failure);
}

process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);

// Exit explicitly: a connection or timer left behind must not keep a stopped gateway alive.
process.exit(await runCli(process.argv.slice(2), processIo()));
