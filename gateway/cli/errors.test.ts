// Every kind of error maps to one-line messages and the documented exit code.
import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../config/errors.js';
import { ServiceError } from '../../services/errors.js';
import { GatewayError } from '../errors.js';
import { CliError, describeError, EXIT } from './errors.js';

describe('describeError', () => {
  it('maps config errors to exit 2, one line per problem', () => {
    expect(describeError(new ConfigError('config_invalid', ['a: bad', 'b: bad']))).toEqual({ lines: ['a: bad', 'b: bad'], code: EXIT.usage });
  });

  it('uses the exit code of a CliError', () => {
    expect(describeError(new CliError('nope', 2))).toEqual({ lines: ['nope'], code: 2 });
    expect(describeError(new CliError('failed'))).toEqual({ lines: ['failed'], code: 1 });
  });

  it('maps service errors about the input to exit 2 and other service errors to exit 1', () => {
    expect(describeError(new ServiceError('invalid_password', 'passwords have 8-1024 characters'))).toEqual({ lines: ['passwords have 8-1024 characters'], code: 2 });
    expect(describeError(new ServiceError('invalid_address'))).toEqual({ lines: ['not a valid address'], code: 2 });
    expect(describeError(new ServiceError('invalid_mnemonic'))).toMatchObject({ code: 2 });
    expect(describeError(new ServiceError('domain_not_hosted'))).toMatchObject({ code: 2 });
    expect(describeError(new ServiceError('user_exists', 'alice@example.test or its key is already in use'))).toEqual({
      lines: ['alice@example.test or its key is already in use'],
      code: 1,
    });
    expect(describeError(new ServiceError('domain_exists'))).toMatchObject({ code: 1 });
  });

  it('maps other failures to exit 1 in one line, without a stack', () => {
    const err = new GatewayError('listen_failed', 'cannot listen on 127.0.0.1:1 (http): permission denied');
    expect(describeError(err)).toEqual({ lines: ['cannot listen on 127.0.0.1:1 (http): permission denied'], code: 1 });
    expect(describeError(new Error('two\n  lines'))).toEqual({ lines: ['two lines'], code: 1 });
    expect(describeError('thrown string')).toEqual({ lines: ['thrown string'], code: 1 });
  });

  it('maps commander errors: help and version to 0 silently, the rest to 2', () => {
    expect(describeError(new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)'))).toEqual({ lines: [], code: 0 });
    expect(describeError(new CommanderError(0, 'commander.version', '0.1.0'))).toEqual({ lines: [], code: 0 });
    expect(describeError(new CommanderError(0, 'commander.help', '(outputHelp)'))).toEqual({ lines: [], code: 0 });
    expect(describeError(new CommanderError(1, 'commander.unknownOption', "error: unknown option '--x'"))).toEqual({
      lines: ["unknown option '--x'"],
      code: 2,
    });
  });
});
