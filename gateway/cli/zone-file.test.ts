// Zone-file lines: TXT text quoted, escaped and split into 255-byte strings.
import { describe, expect, it } from 'vitest';
import { formatZone, quoteTxt, zoneLine } from './zone-file.js';

describe('quoteTxt', () => {
  it('quotes a short value as one string', () => {
    expect(quoteTxt('v=spf1 mx -all')).toBe('"v=spf1 mx -all"');
    expect(quoteTxt('')).toBe('""');
  });

  it('splits at 255 bytes', () => {
    expect(quoteTxt('a'.repeat(255))).toBe(`"${'a'.repeat(255)}"`);
    expect(quoteTxt('a'.repeat(256))).toBe(`"${'a'.repeat(255)}" "a"`);
    expect(quoteTxt(`${'a'.repeat(255)}${'b'.repeat(255)}c`)).toBe(`"${'a'.repeat(255)}" "${'b'.repeat(255)}" "c"`);
  });

  it('escapes quotes and backslashes without counting the escapes, and non-printables as \\DDD', () => {
    expect(quoteTxt('say "hi" \\ bye')).toBe('"say \\"hi\\" \\\\ bye"');
    expect(quoteTxt(`${'"'.repeat(256)}`)).toBe(`"${'\\"'.repeat(255)}" "\\""`);
    expect(quoteTxt('tab\there é')).toBe('"tab\\009here \\195\\169"');
  });
});

describe('zoneLine', () => {
  it('writes name TTL IN TYPE value', () => {
    expect(zoneLine({ name: 'example.org.', type: 'MX', ttl: 3600, value: '10 mail.example.org.' })).toBe('example.org. 3600 IN MX 10 mail.example.org.');
    expect(zoneLine({ name: '_dmarc.example.org.', type: 'TXT', ttl: 60, value: 'v=DMARC1; p=quarantine' })).toBe('_dmarc.example.org. 60 IN TXT "v=DMARC1; p=quarantine"');
    expect(formatZone([])).toBe('');
  });
});
