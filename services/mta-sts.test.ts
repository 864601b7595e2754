// The MTA-STS policy text and the id derived from it.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { mtaStsModeFor, mtaStsPolicy, mtaStsPolicyId } from './mta-sts.js';

describe('mtaStsPolicy', () => {
  it('writes the RFC 8461 fields with CRLF line ends', () => {
    expect(mtaStsPolicy({ mode: 'enforce', mx: 'Mail.Example.org' })).toBe('version: STSv1\r\nmode: enforce\r\nmx: mail.example.org\r\nmax_age: 604800\r\n');
    expect(mtaStsPolicy({ mode: 'testing', mx: 'mx.test', maxAgeSeconds: 86400 })).toBe('version: STSv1\r\nmode: testing\r\nmx: mx.test\r\nmax_age: 86400\r\n');
  });

  it('enforces in production only', () => {
    expect(mtaStsModeFor('production')).toBe('enforce');
    expect(mtaStsModeFor('development')).toBe('testing');
  });
});

describe('mtaStsPolicyId', () => {
  it('is 20 hex digits of the policy hash, so it changes with the policy', () => {
    const testing = mtaStsPolicyId(mtaStsPolicy({ mode: 'testing', mx: 'mail.example.test' }));
    const enforce = mtaStsPolicyId(mtaStsPolicy({ mode: 'enforce', mx: 'mail.example.test' }));
    expect(testing).toMatch(/^[0-9a-f]{20}$/);
    expect(enforce).not.toBe(testing);
    expect(testing).toBe(createHashPrefix('version: STSv1\r\nmode: testing\r\nmx: mail.example.test\r\nmax_age: 604800\r\n'));
  });
});

function createHashPrefix(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 20);
}
