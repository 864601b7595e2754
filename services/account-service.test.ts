import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checksumMatches, identityFromMnemonic, parseAddress } from '../core/index.js';
import { BACKENDS, openTestDb, type TestDb } from '../test/helpers/databases.js';
import { AccountService } from './account-service.js';
import { systemRng } from './random.js';

const MNEMONIC = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
// Fast KDF parameters for tests; the defaults (N=2^15) are measured in the bench.
const kdf = { N: 1024, r: 8, p: 1 };

describe.each(BACKENDS)('accounts on %s', (backend) => {
  let t: TestDb;
  let accounts: AccountService;
  beforeAll(async () => {
    t = await openTestDb(backend);
    accounts = new AccountService(t.db, { rng: systemRng, kdf });
    await accounts.addDomain('Example.TEST');
  });
  afterAll(() => t.dispose());

  it('creates a user with a new identity, an LNMP address and the default mailboxes', async () => {
    const u = await accounts.createUser({ address: 'Alice@example.test', password: 'correct horse' });
    expect(u.address).toBe('alice@example.test');
    expect(u.mnemonic!.split(' ')).toHaveLength(24);
    expect(identityFromMnemonic(u.mnemonic!).publicKey).toBe(u.publicKey);
    expect(checksumMatches(parseAddress(u.lnmpAddress), u.publicKey)).toBe(true);
    const roles = await t.db.query<{ role: string }>('SELECT role FROM mailboxes WHERE user_id = $1 ORDER BY id', [u.userId]);
    expect(roles.map((r) => r.role)).toEqual(['inbox', 'sent', 'drafts', 'trash', 'junk', 'archive', 'screener']);
  });

  it('imports an identity from a mnemonic', async () => {
    const u = await accounts.createUser({ address: 'imported@example.test', password: 'password1', mnemonic: MNEMONIC });
    expect(u.publicKey).toBe(identityFromMnemonic(MNEMONIC).publicKey);
    expect(u.mnemonic).toBeUndefined();
    expect(await accounts.exportMnemonic('imported@example.test', 'password1')).toBe(MNEMONIC);
  });

  it('stores the private key only wrapped: neither key nor mnemonic appears in the database', async () => {
    const u = await accounts.createUser({ address: 'secret@example.test', password: 'password1' });
    const session = await accounts.authenticate('secret@example.test', 'password1');
    const skHex = Buffer.from(session.privateKey).toString('hex');
    const mkHex = Buffer.from(session.mailboxKey).toString('hex');
    const dump = JSON.stringify(await t.db.query('SELECT u.*, c.* FROM users u JOIN credentials c ON c.user_id = u.id WHERE u.id = $1', [u.userId]), (_k, v) =>
      v instanceof Uint8Array ? Buffer.from(v).toString('hex') + Buffer.from(v).toString('latin1') : v,
    );
    expect(dump).not.toContain(skHex);
    expect(dump).not.toContain(mkHex);
    for (const word of new Set(u.mnemonic!.split(' '))) expect(dump).not.toContain(` ${word} `);
    expect(dump).not.toContain('password1');
    session.lock();
  });

  it('authenticates by address or LNMP address (any case) and unlocks the keys', async () => {
    const u = await accounts.createUser({ address: 'bob@example.test', password: 'hunter2hunter2' });
    const s1 = await accounts.authenticate('BOB@example.test', 'hunter2hunter2');
    expect(s1.publicKey).toBe(u.publicKey);
    const s2 = await accounts.authenticate(u.lnmpAddress.toUpperCase(), 'hunter2hunter2');
    expect(Buffer.from(s2.privateKey)).toEqual(Buffer.from(s1.privateKey));
    expect(Buffer.from(s2.mailboxKey)).toEqual(Buffer.from(s1.mailboxKey));
    expect(JSON.stringify(s1)).not.toContain(Buffer.from(s1.privateKey).toString('hex'));
    s1.lock();
    expect(() => s1.privateKey).toThrow(expect.objectContaining({ code: 'session_expired' }));
    expect(s2.locked).toBe(false);
    s2.lock();
  });

  it('a wrong password and an unknown user fail alike', async () => {
    await accounts.createUser({ address: 'carol@example.test', password: 'rightpassword' });
    const errors = await Promise.all([
      accounts.authenticate('carol@example.test', 'wrongpassword').catch((e: Error) => e),
      accounts.authenticate('nobody@example.test', 'rightpassword').catch((e: Error) => e),
      accounts.authenticate('carol@example.test', '').catch((e: Error) => e),
    ]);
    for (const e of errors) expect(e).toMatchObject({ code: 'auth_failed', message: 'authentication failed' });
  });

  it('runs the same key derivation for an unknown user as for a wrong password', async () => {
    const { scrypt } = await import('node:crypto');
    const calls: number[] = [];
    const counting = (pw: string | Uint8Array, salt: Uint8Array, len: number, o: { N: number; r: number; p: number; maxmem: number }) =>
      new Promise<Buffer>((resolve, reject) => {
        calls.push(o.N);
        scrypt(pw, salt, len, o, (err, key) => (err ? reject(err) : resolve(key)));
      });
    const counted = new AccountService(t.db, { rng: systemRng, kdf, scrypt: counting });
    await counted.createUser({ address: 'timing@example.test', password: 'rightpassword' });
    calls.length = 0;
    await expect(counted.authenticate('timing@example.test', 'wrongpassword')).rejects.toMatchObject({ code: 'auth_failed' });
    await expect(counted.authenticate('nobody-at-all@example.test', 'wrongpassword')).rejects.toMatchObject({ code: 'auth_failed' });
    // One derivation each, with the same cost parameter: no shortcut reveals unknown users.
    expect(calls).toEqual([kdf.N, kdf.N]);
    // Exporting the mnemonic checks the password with one derivation too.
    calls.length = 0;
    expect((await counted.exportMnemonic('timing@example.test', 'rightpassword')).split(' ')).toHaveLength(24);
    expect(calls).toEqual([kdf.N]);
  });

  it('changes the password by re-wrapping: old fails, new works, keys unchanged', async () => {
    await accounts.createUser({ address: 'dave@example.test', password: 'oldpassword' });
    const before = await accounts.authenticate('dave@example.test', 'oldpassword');
    const pk = Buffer.from(before.privateKey).toString('hex');
    await accounts.changePassword('dave@example.test', 'oldpassword', 'newpassword');
    await expect(accounts.authenticate('dave@example.test', 'oldpassword')).rejects.toMatchObject({ code: 'auth_failed' });
    const after = await accounts.authenticate('dave@example.test', 'newpassword');
    expect(Buffer.from(after.privateKey).toString('hex')).toBe(pk);
    await expect(accounts.changePassword('dave@example.test', 'wrong', 'whatever1')).rejects.toMatchObject({ code: 'auth_failed' });
    await expect(accounts.changePassword('dave@example.test', 'newpassword', 'short')).rejects.toMatchObject({ code: 'invalid_password' });
  });

  it('app passwords wrap the same keys and cannot export the mnemonic', async () => {
    await accounts.createUser({ address: 'erin@example.test', password: 'erinpassword' });
    const s = await accounts.authenticate('erin@example.test', 'erinpassword');
    const app = await accounts.addAppPassword(s, 'Thunderbird');
    expect(app).toMatch(/^app-\d+-[a-z2-7]{26}$/);
    const viaApp = await accounts.authenticate('erin@example.test', app);
    expect(Buffer.from(viaApp.mailboxKey)).toEqual(Buffer.from(s.mailboxKey));
    await expect(accounts.exportMnemonic('erin@example.test', app)).rejects.toMatchObject({ code: 'auth_failed' });
    await expect(accounts.exportMnemonic('erin@example.test', 'wrong')).rejects.toMatchObject({ code: 'auth_failed' });
    // Another user's app password does not open this account.
    await accounts.createUser({ address: 'frank@example.test', password: 'frankpassword' });
    await expect(accounts.authenticate('frank@example.test', app)).rejects.toMatchObject({ code: 'auth_failed' });
  });

  it('resolves primary and LNMP addresses for delivery, checksum in any case', async () => {
    const u = await accounts.createUser({ address: 'grace@example.test', password: 'gracepassword' });
    expect((await accounts.resolveAddress('Grace@Example.Test'))?.userId).toBe(u.userId);
    expect((await accounts.resolveAddress(u.lnmpAddress.toUpperCase()))?.userId).toBe(u.userId);
    expect(await accounts.resolveAddress('nobody@example.test')).toBeUndefined();
  });

  it('ensureDomain hosts a domain once and reports whether it added it', async () => {
    expect(await accounts.ensureDomain('Ensured.TEST')).toBe(true);
    expect(await accounts.ensureDomain('ensured.test')).toBe(false);
    expect(await accounts.ensureDomain('example.test')).toBe(false);
    expect((await accounts.listDomains()).map((d) => d.name)).toContain('ensured.test');
    expect(await accounts.isHostedDomain('Ensured.TEST')).toBe(true);
    expect(await accounts.isHostedDomain('elsewhere.test')).toBe(false);
    await expect(accounts.ensureDomain('not a domain')).rejects.toMatchObject({ code: 'invalid_address' });
  });

  it('delivers aliases to their user, and refuses taken or foreign ones', async () => {
    const u = await accounts.createUser({ address: 'henry@example.test', password: 'henrypassword' });
    expect(await accounts.addAlias(u.userId, 'Sales@Example.test')).toBe('sales@example.test');
    expect((await accounts.resolveAddress('SALES@example.test'))?.userId).toBe(u.userId);
    await expect(accounts.addAlias(u.userId, 'sales@example.test')).rejects.toMatchObject({ code: 'user_exists' });
    await expect(accounts.addAlias(u.userId, 'alice@example.test')).rejects.toMatchObject({ code: 'user_exists' });
    await expect(accounts.addAlias(u.userId, 'x@elsewhere.test')).rejects.toMatchObject({ code: 'domain_not_hosted' });
    await expect(accounts.addAlias(999999, 'y@example.test')).rejects.toMatchObject({ code: 'user_not_found' });
    // A user cannot later take an address that is an alias.
    await expect(accounts.createUser({ address: 'sales@example.test', password: 'password1' })).rejects.toMatchObject({ code: 'user_exists' });
  });

  it('rejects bad input with stable codes', async () => {
    await expect(accounts.addDomain('example.test')).rejects.toMatchObject({ code: 'domain_exists' });
    await expect(accounts.addDomain('not a domain')).rejects.toMatchObject({ code: 'invalid_address' });
    await expect(accounts.createUser({ address: 'x@elsewhere.test', password: 'password1' })).rejects.toMatchObject({ code: 'domain_not_hosted' });
    await expect(accounts.createUser({ address: 'alice@example.test', password: 'password1' })).rejects.toMatchObject({ code: 'user_exists' });
    await expect(accounts.createUser({ address: 'no-at-sign', password: 'password1' })).rejects.toMatchObject({ code: 'invalid_address' });
    await expect(accounts.createUser({ address: 'bad user@example.test', password: 'password1' })).rejects.toMatchObject({ code: 'invalid_address' });
    await expect(accounts.createUser({ address: 'short@example.test', password: 'short' })).rejects.toMatchObject({ code: 'invalid_password' });
    await expect(accounts.createUser({ address: 'mn@example.test', password: 'password1', mnemonic: 'not a mnemonic' })).rejects.toMatchObject({ code: 'invalid_mnemonic' });
    await expect(accounts.createUser({ address: 'dup@example.test', password: 'password1', mnemonic: MNEMONIC })).rejects.toMatchObject({ code: 'user_exists' });
  });
});
