// The config layer's error catalogue. Every configuration failure is a ConfigError with a
// stable code; its message is one line per problem, each naming the key, where the value
// came from, what was expected and what was received, so an operator can fix it without
// reading code. The CLI maps every ConfigError to exit code 2.
import { CodedError } from '../core/coded-error.js';

export const CONFIG_ERRORS = {
  config_invalid: 'a setting has a value of the wrong form, or settings contradict each other',
  config_file_unreadable: 'the config file named by --config or LNMP_CONFIG cannot be read',
  config_file_not_json: 'the config file is not valid JSON',
} as const;

export type ConfigErrorCode = keyof typeof CONFIG_ERRORS;

export class ConfigError extends CodedError<ConfigErrorCode> {
  override readonly name = 'ConfigError';
  /** One human-readable line per problem, in a stable order. */
  readonly problems: readonly string[];

  constructor(code: ConfigErrorCode, problems: readonly string[], options?: { cause?: unknown }) {
    super(code, problems.join('\n'), options);
    this.problems = problems;
  }
}
