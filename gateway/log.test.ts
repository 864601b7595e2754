// The logger writes one pino JSON object per line, honours the level, and masks secrets that
// reach it as fields.
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { createLogger } from './log.js';

function capture(level: 'debug' | 'info' | 'warn' | 'error' = 'info') {
  const lines: string[] = [];
  const logger = createLogger({ level, write: (line) => lines.push(line), now: () => new Date('2026-01-02T03:04:05.000Z') });
  const parsed = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines, parsed };
}

describe('createLogger', () => {
  it('writes level, time, pid, hostname, fields and msg as one JSON line', () => {
    const { logger, lines } = capture();
    logger.info('listening', { service: 'http', port: 8080 });
    const head = `{"level":"info","time":"2026-01-02T03:04:05.000Z","pid":${process.pid},"hostname":${JSON.stringify(hostname())}`;
    expect(lines).toEqual([`${head},"service":"http","port":8080,"msg":"listening"}\n`]);
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
    logger.child({ service: 'smtp', pid: 1 }).info('x', { level: 'spoofed', msg: 'spoofed', time: 0, hostname: 'spoofed', n: 1 });
    expect(parsed()).toEqual([{ time: '2026-01-02T03:04:05.000Z', level: 'info', msg: 'x', pid: process.pid, hostname: hostname(), service: 'smtp', n: 1 }]);
  });

  it('writes a key once when a child or a line repeats it, the innermost value winning', () => {
    const { logger, lines } = capture('debug');
    logger.child({ service: 'imap', session: 'a' }).child({ service: 'imaps' }).debug('y', { session: 'b' });
    expect(lines[0]?.match(/"service"/g)).toHaveLength(1);
    expect(lines[0]?.match(/"session"/g)).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ service: 'imaps', session: 'b', msg: 'y', level: 'debug' });
  });

  it('masks secret fields, URL passwords and nested secrets', () => {
    const { logger, lines } = capture();
    logger.info('config', {
      macaroon: '0201abcd',
      password: 'hunter2',
      databaseUrl: 'postgres://gw:s3cret@db/lnmp',
      nested: { token: 'tok123', list: [{ privateKey: 'ff00' }] },
    });
    logger.child({ secret: 'childsecret', url: 'redis://:r3dis@cache:6379' }).warn('child');
    expect(lines.join('')).not.toMatch(/0201abcd|hunter2|s3cret|tok123|ff00|childsecret|r3dis/);
    expect(JSON.parse(lines[1] ?? '{}')).toMatchObject({ secret: '********', url: 'redis://:********@cache:6379' });
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
    expect(parsed()[0]?.['err']).toEqual({ name: 'Error', message: 'boom', code: 'E_BOOM' });
  });

  it('cuts nested fields off past the depth limit', () => {
    const { logger, parsed } = capture();
    logger.info('deep', { a: { b: { c: { d: { e: { f: 1 } } } } } });
    expect(parsed()[0]).toMatchObject({ a: { b: { c: { d: { e: '[nested too deep]' } } } } });
  });
});
