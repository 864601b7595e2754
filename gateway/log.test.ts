// The logger writes one JSON object per line, honours the level, and masks secrets that
// reach it as fields.
import { describe, expect, it } from 'vitest';
import { createLogger } from './log.js';

function capture(level: 'debug' | 'info' | 'warn' | 'error' = 'info') {
  const lines: string[] = [];
  const logger = createLogger({ level, write: (line) => lines.push(line), now: () => new Date('2026-01-02T03:04:05.000Z') });
  const parsed = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines, parsed };
}

describe('createLogger', () => {
  it('writes time, level, msg and fields as one JSON line', () => {
    const { logger, lines } = capture();
    logger.info('listening', { service: 'http', port: 8080 });
    expect(lines).toEqual(['{"time":"2026-01-02T03:04:05.000Z","level":"info","msg":"listening","service":"http","port":8080}\n']);
  });

  it('drops lines below the level', () => {
    const { logger, parsed } = capture('warn');
    logger.debug('a');
    logger.info('b');
    logger.warn('c');
    logger.error('d');
    expect(parsed().map((l) => l['msg'])).toEqual(['c', 'd']);
  });

  it('adds child fields and keeps the reserved keys', () => {
    const { logger, parsed } = capture();
    logger.child({ service: 'smtp' }).info('x', { level: 'spoofed', msg: 'spoofed', n: 1 });
    expect(parsed()).toEqual([{ time: '2026-01-02T03:04:05.000Z', level: 'info', msg: 'x', service: 'smtp', n: 1 }]);
  });

  it('masks secret fields, URL passwords and nested secrets', () => {
    const { logger, lines } = capture();
    logger.info('config', {
      macaroon: '0201abcd',
      password: 'hunter2',
      databaseUrl: 'postgres://gw:s3cret@db/lnmp',
      nested: { token: 'tok123', list: [{ privateKey: 'ff00' }] },
    });
    expect(lines.join('')).not.toMatch(/0201abcd|hunter2|s3cret|tok123|ff00/);
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({
      macaroon: '********',
      databaseUrl: 'postgres://gw:********@db/lnmp',
      nested: { token: '********', list: [{ privateKey: '********' }] },
    });
  });

  it('logs errors as name, message and code, without a stack', () => {
    const { logger, parsed } = capture();
    logger.error('failed', { err: Object.assign(new Error('boom'), { code: 'E_BOOM' }), big: 10n });
    expect(parsed()[0]).toMatchObject({ err: { name: 'Error', message: 'boom', code: 'E_BOOM' }, big: '10' });
  });
});
