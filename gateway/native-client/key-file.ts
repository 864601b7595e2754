// The native client's key file: one LNMP identity, its address and relays in clear, and its
// private key and mnemonic sealed (ChaCha20-Poly1305) under a key derived from a passphrase
// with scrypt. The box's AAD binds the file's version and public key, so a sealed part cannot
// be moved into another file, and the opened key must match the public key it claims.
import { scrypt as scryptCb } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { formatAddress, fromBase64, fromHex, fromUtf8, hkdfSha256, identityFromPrivateKey, makeAddress, newIdentity, toBase64, toHex, utf8, type Rng } from '../../core/index.js';
import { relayUrl } from '../../core/schema-helpers.js';
import { DEFAULT_KDF, type KdfParams, type ScryptFn } from '../../services/account-service.js';
import { isServiceError } from '../../services/errors.js';
import { boxOpen, boxSeal } from '../../services/secret-box.js';
import { CliError, EXIT } from '../cli/errors.js';

export const KEY_FILE_VERSION = 1;
export const KEY_FILE_NAME = 'key.json';
/** The host of an address created without `--host`: reserved (RFC 6761), so it never resolves. */
export const UNROUTABLE_HOST = 'lnmp.invalid';
export const MIN_PASSPHRASE_CHARS = 8;
const SCRYPT_MAXMEM = 256 * 1024 * 1024;
const nodeScrypt = promisify(scryptCb) as ScryptFn;

const KeyFileSchema = z.strictObject({
  version: z.literal(KEY_FILE_VERSION),
  publicKey: z.string().regex(/^[0-9a-f]{64}$/),
  address: z.string().min(1).max(400),
  relays: z.array(relayUrl).max(32),
  kdf: z.strictObject({ alg: z.literal('scrypt'), N: z.number().int().min(2).max(2 ** 20), r: z.number().int().min(1).max(32), p: z.number().int().min(1).max(16), salt: z.string().regex(/^[0-9a-f]{32}$/) }),
  /** nonce (12) || ChaCha20-Poly1305 ciphertext of {"privateKey","mnemonic"}, base64. */
  sealed: z.string().min(1),
});
export type KeyFile = z.infer<typeof KeyFileSchema>;

const SecretSchema = z.strictObject({ privateKey: z.string().regex(/^[0-9a-f]{64}$/), mnemonic: z.string() });

/** The unlocked identity. `privateKey` is never logged; callers zero it when done. */
export interface ClientKey {
  readonly publicKey: string;
  readonly address: string;
  readonly relays: readonly string[];
  readonly privateKey: Uint8Array;
}

/** `$LNMP_CLIENT_HOME/key.json`, else `~/.lnmp/key.json`. */
export function defaultKeyFilePath(env: Readonly<Record<string, string | undefined>>): string {
  const home = env.LNMP_CLIENT_HOME || join(env.HOME || homedir(), '.lnmp');
  return join(home, KEY_FILE_NAME);
}

function boxContext(version: number, publicKey: string): string {
  return `lnmp-client/v${version}/key-file/${publicKey}`;
}

async function passphraseKey(passphrase: string, kdf: KdfParams, scrypt: ScryptFn): Promise<Uint8Array> {
  const master = await scrypt(passphrase.normalize('NFC'), fromHex(kdf.salt, 16), 32, { N: kdf.N, r: kdf.r, p: kdf.p, maxmem: SCRYPT_MAXMEM });
  const key = hkdfSha256(new Uint8Array(master), new Uint8Array(0), utf8('lnmp-client/v1/key-file'), 32);
  master.fill(0);
  return key;
}

export interface NewKeyFileInput {
  readonly username: string;
  readonly host?: string | undefined;
  readonly relays: readonly string[];
  readonly passphrase: string;
  readonly rng: Rng;
  readonly kdf?: { N: number; r: number; p: number };
  readonly scrypt?: ScryptFn;
}

/** A new identity sealed into a key file; the mnemonic is returned once, for the user to write down. */
export async function createKeyFile(input: NewKeyFileInput): Promise<{ file: KeyFile; mnemonic: string }> {
  if ([...input.passphrase].length < MIN_PASSPHRASE_CHARS) throw new CliError(`the passphrase must have at least ${MIN_PASSPHRASE_CHARS} characters`, EXIT.usage);
  const relays = input.relays.map((url) => {
    const parsed = relayUrl.safeParse(url);
    if (!parsed.success) throw new CliError(`--relay ${url}: expected a ws:// or wss:// URL`, EXIT.usage);
    return parsed.data;
  });
  const id = newIdentity(input.rng);
  try {
    const address = formatAddress(makeAddress(id.publicKey, input.username, input.host ?? UNROUTABLE_HOST));
    const kdf: KdfParams = { alg: 'scrypt', ...(input.kdf ?? DEFAULT_KDF), salt: toHex(input.rng(16)) };
    const key = await passphraseKey(input.passphrase, kdf, input.scrypt ?? nodeScrypt);
    const secret = utf8(JSON.stringify({ privateKey: toHex(id.privateKey), mnemonic: id.mnemonic }));
    const sealed = toBase64(boxSeal(key, secret, boxContext(KEY_FILE_VERSION, id.publicKey), input.rng));
    key.fill(0);
    secret.fill(0);
    return { file: { version: KEY_FILE_VERSION, publicKey: id.publicKey, address, relays: [...new Set(relays)], kdf, sealed }, mnemonic: id.mnemonic };
  } finally {
    id.privateKey.fill(0);
  }
}

/** Writes the file mode 0600 (its directory 0700), through a temporary file; never over an existing one unless `force`. */
export function writeKeyFile(path: string, file: KeyFile, force: boolean): void {
  if (!force && existsSync(path)) throw new CliError(`${path} exists; use --force to replace it (the identity in it is lost unless its mnemonic is kept)`, EXIT.failure);
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, flag: 'w' });
  chmodSync(temp, 0o600);
  renameSync(temp, path);
}

export function readKeyFile(path: string): KeyFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT') throw new CliError(`no key file at ${path}; create one with: lnmp-gateway client keygen --username NAME`, EXIT.failure);
    throw new CliError(`cannot read the key file ${path} (${code ?? (err as Error).message})`, EXIT.failure, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CliError(`${path} is not a key file (not JSON)`, EXIT.failure);
  }
  const parsed = KeyFileSchema.safeParse(json);
  if (!parsed.success) throw new CliError(`${path} is not a version ${KEY_FILE_VERSION} key file`, EXIT.failure);
  return parsed.data;
}

/** Opens the sealed part. A wrong passphrase (or a modified file) is one line, exit 1. */
export async function unlockKeyFile(file: KeyFile, path: string, passphrase: string, scrypt: ScryptFn = nodeScrypt): Promise<ClientKey & { mnemonic: string }> {
  const key = await passphraseKey(passphrase, file.kdf, scrypt);
  let plain: Uint8Array;
  try {
    plain = boxOpen(key, fromBase64(file.sealed, 'sealed'), boxContext(file.version, file.publicKey));
  } catch (err) {
    if (isServiceError(err, 'integrity')) throw new CliError(`wrong passphrase for ${path}`, EXIT.failure, { cause: err });
    throw new CliError(`${path} is not a key file (sealed part unreadable)`, EXIT.failure, { cause: err });
  } finally {
    key.fill(0);
  }
  const secret = SecretSchema.safeParse(JSON.parse(fromUtf8(plain)));
  plain.fill(0);
  if (!secret.success) throw new CliError(`${path} is not a key file (sealed part malformed)`, EXIT.failure);
  const id = identityFromPrivateKey(fromHex(secret.data.privateKey, 32));
  if (id.publicKey !== file.publicKey) throw new CliError(`${path} is damaged: its private key does not match its public key`, EXIT.failure);
  return { publicKey: id.publicKey, address: file.address, relays: file.relays, privateKey: id.privateKey, mnemonic: secret.data.mnemonic };
}
