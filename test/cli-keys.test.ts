// `lnmp-gateway keygen` and `address verify` as a user runs them: output forms and exit codes.
import { beforeAll, describe, expect, it } from 'vitest';
import { checksumMatches, formatAddress, identityFromMnemonic, makeAddress, parseAddress } from '../core/index.js';
import { assertBuilt, runCliProcess } from './helpers/cli-process.js';

beforeAll(() => assertBuilt());

describe('lnmp-gateway keygen', () => {
  it('--json prints a mnemonic whose identity owns the printed key and address', async () => {
    const r = await runCliProcess(['keygen', '--username', 'Alice', '--host', 'example.test', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { mnemonic: string; publicKey: string; address: string };
    expect(out.mnemonic.split(' ')).toHaveLength(24);
    expect(identityFromMnemonic(out.mnemonic).publicKey).toBe(out.publicKey);
    expect(out.address).toMatch(/^alice#\w{6}@example\.test$/);
    expect(checksumMatches(parseAddress(out.address), out.publicKey)).toBe(true);
  });

  it('prints labelled lines without --json, and a new identity each time', async () => {
    const [a, b] = await Promise.all([runCliProcess(['keygen', '--username', 'bob', '--host', 'example.test']), runCliProcess(['keygen', '--username', 'bob', '--host', 'example.test'])]);
    expect(a.stdout).toMatch(/^mnemonic: {3}(\w+ ){23}\w+\npublic key: [0-9a-f]{64}\naddress: {4}bob#\w{6}@example\.test\n$/);
    expect(a.stdout).not.toBe(b.stdout);
  });

  it('rejects a bad username with exit 2 and one line', async () => {
    const r = await runCliProcess(['keygen', '--username', 'no spaces', '--host', 'example.test']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'lnmp-gateway: invalid_username: username may contain a-z, 0-9, ".", "_" and "-", must start and end with a letter or digit, and may not contain ".."\n',
    );
    expect(r.stdout).toBe('');
  });

  it('requires --username and --host', async () => {
    const r = await runCliProcess(['keygen', '--host', 'example.test']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("lnmp-gateway: required option '--username <name>' not specified\n");
  });
});

describe('lnmp-gateway address verify', () => {
  const pub = identityFromMnemonic('abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about').publicKey;
  const address = formatAddress(makeAddress(pub, 'alice', 'example.test'));

  it('exits 0 when the checksum belongs to the key, in any case', async () => {
    const r = await runCliProcess(['address', 'verify', address.toUpperCase(), '--pubkey', pub]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`ok: ${address.toUpperCase()} belongs to ${pub}\n`);
  });

  it('exits 1 with a one-line reason when it does not', async () => {
    const other = address.replace('alice', 'alicf');
    const r = await runCliProcess(['address', 'verify', other, '--pubkey', pub]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`lnmp-gateway: mismatch: checksum ${parseAddress(other).checksum} of ${other} does not belong to this public key and username\n`);
  });

  it('exits 2 on a malformed address or key', async () => {
    const bad = await runCliProcess(['address', 'verify', 'alice@example.test', '--pubkey', pub]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('lnmp-gateway: malformed: invalid_address: expected exactly one "#" between username and checksum\n');
    const badKey = await runCliProcess(['address', 'verify', address, '--pubkey', 'xyz']);
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).toBe('lnmp-gateway: malformed: invalid_hex: --pubkey is not hex\n');
    const offCurve = await runCliProcess(['address', 'verify', address, '--pubkey', '00'.repeat(31) + '05']);
    expect(offCurve.code).toBe(2);
    expect(offCurve.stderr).toBe('lnmp-gateway: malformed: invalid_public_key: --pubkey is not a point on secp256k1\n');
  });
});
