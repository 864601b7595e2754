// TLS credentials for the listeners: the configured `tls.cert`/`tls.key` files, or else a
// self-signed certificate for `hostname`, generated once into `<dataDir>/tls/` and reused,
// so STARTTLS works out of the box (MX peers accept self-signed certificates; RFC 7672 aside).
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import type { Config } from '../config/schema.js';
import { GatewayError } from './errors.js';

/** Lifetime of the generated self-signed certificate. */
export const SELF_SIGNED_CERT_DAYS = 3650;
/** RSA key size of the generated self-signed certificate. */
export const SELF_SIGNED_KEY_BITS = 2048;
export const TLS_DIR = 'tls';
export const SELF_SIGNED_CERT_FILE = 'self-signed-cert.pem';
export const SELF_SIGNED_KEY_FILE = 'self-signed-key.pem';

export interface TlsCredentials {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** Where they came from, for the log. */
  readonly source: 'configured' | 'generated' | 'reused';
}

export async function loadTlsCredentials(config: Pick<Config, 'tls' | 'dataDir' | 'hostname'>): Promise<TlsCredentials> {
  const { cert, key } = config.tls;
  if (cert !== undefined && key !== undefined) {
    return { cert: readOrThrow(cert, 'tls.cert'), key: readOrThrow(key, 'tls.key'), source: 'configured' };
  }
  const dir = join(config.dataDir, TLS_DIR);
  const certPath = join(dir, SELF_SIGNED_CERT_FILE);
  const keyPath = join(dir, SELF_SIGNED_KEY_FILE);
  if (existsSync(certPath) && existsSync(keyPath)) {
    return { cert: readOrThrow(certPath, 'self-signed certificate'), key: readOrThrow(keyPath, 'self-signed key'), source: 'reused' };
  }
  const pems = await generate([{ name: 'commonName', value: config.hostname }], {
    notAfterDate: new Date(Date.now() + SELF_SIGNED_CERT_DAYS * 86_400_000),
    keySize: SELF_SIGNED_KEY_BITS,
  });
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Written under temporary names and renamed, the key first, so a crash never leaves a
    // certificate without its key.
    writeFileSync(`${keyPath}.tmp`, pems.private, { mode: 0o600 });
    writeFileSync(`${certPath}.tmp`, pems.cert, { mode: 0o644 });
    renameSync(`${keyPath}.tmp`, keyPath);
    renameSync(`${certPath}.tmp`, certPath);
  } catch (cause) {
    throw new GatewayError('tls_unavailable', `cannot write the self-signed certificate to ${dir}: ${(cause as Error).message}`, { cause });
  }
  return { cert: Buffer.from(pems.cert), key: Buffer.from(pems.private), source: 'generated' };
}

function readOrThrow(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (cause) {
    throw new GatewayError('tls_unavailable', `cannot read ${what} ${path}: ${(cause as Error).message}`, { cause });
  }
}
