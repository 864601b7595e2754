// Exit codes and the one place that turns any error into what the user sees: lines of
// the form "lnmp-gateway: <message>" on stderr (never a stack trace) and an exit code.
import { CommanderError } from 'commander';
import { ConfigError } from '../../config/errors.js';
import { ServiceError, type ServiceErrorCode } from '../../services/errors.js';

export const EXIT = {
  ok: 0,
  /** The command ran and failed (e.g. a port already in use). */
  failure: 1,
  /** Wrong usage or invalid configuration: the user must change what they typed or set. */
  usage: 2,
} as const;

/** An error a command raises on purpose, with the exit code it should produce. */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly exitCode: number;

  constructor(message: string, exitCode: number = EXIT.failure, options?: { cause?: unknown }) {
    super(message, options);
    this.exitCode = exitCode;
  }
}

/**
 * Service errors that mean "what you typed is wrong" (exit 2); every other service error,
 * such as an address already taken, is a failure of the command (exit 1).
 */
const SERVICE_USAGE_ERRORS: ReadonlySet<ServiceErrorCode> = new Set([
  'invalid_address',
  'invalid_password',
  'invalid_mnemonic',
  'invalid_mailbox_name',
  'invalid_token_name',
  'domain_not_hosted',
]);

export interface ExitReport {
  /** Lines for stderr, without the program-name prefix; empty when nothing is to be said. */
  readonly lines: readonly string[];
  readonly code: number;
}

/** Collapses a message to one line: what users see must not spill across lines. */
function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

export function describeError(err: unknown): ExitReport {
  if (err instanceof ConfigError) return { lines: err.problems.map(oneLine), code: EXIT.usage };
  if (err instanceof CliError) return { lines: [oneLine(err.message)], code: err.exitCode };
  if (err instanceof CommanderError) return describeCommanderError(err);
  if (err instanceof ServiceError) return { lines: [oneLine(err.message)], code: SERVICE_USAGE_ERRORS.has(err.code) ? EXIT.usage : EXIT.failure };
  if (err instanceof Error) return { lines: [oneLine(err.message)], code: EXIT.failure };
  return { lines: [oneLine(String(err))], code: EXIT.failure };
}

function describeCommanderError(err: CommanderError): ExitReport {
  switch (err.code) {
    case 'commander.helpDisplayed':
    case 'commander.version':
      return { lines: [], code: EXIT.ok };
    case 'commander.help':
      // Commander shows help as an error when a command needs a subcommand and got none.
      return err.exitCode === 0
        ? { lines: [], code: EXIT.ok }
        : { lines: ['missing command; see --help'], code: EXIT.usage };
    default:
      return { lines: [oneLine(err.message.replace(/^error: /, ''))], code: EXIT.usage };
  }
}
