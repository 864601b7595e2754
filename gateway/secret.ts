// The gateway secret: protects the gateway's own keys (its LNMP identity, DKIM keys, queued
// mail) and keys the contact lookups. From `gatewaySecret` (LNMP_GATEWAY_SECRET) when set,
// otherwise 32 random bytes generated once into `<dataDir>/gateway.secret` (mode 0600).
// Every process of one deployment must use the same secret: a process with another one
// cannot open the stored gateway identity and refuses to start.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import { fromHex, toHex, utf8, type Rng } from '../core/index.js';
import { GatewayError } from './errors.js';

export const SECRET_FILE = 'gateway.secret';
const SECRET_BYTES = 32;

export interface GatewaySecret {
  readonly bytes: Uint8Array;
  readonly source: 'configured' | 'generated' | 'reused';
}

export function loadGatewaySecret(config: Pick<Config, 'gatewaySecret' | 'dataDir'>, rng: Rng): GatewaySecret {
  if (config.gatewaySecret !== undefined) return { bytes: utf8(config.gatewaySecret), source: 'configured' };
  const path = join(config.dataDir, SECRET_FILE);
  const existing = readIfPresent(path);
  if (existing !== undefined) return { bytes: parse(existing, path), source: 'reused' };
  const bytes = rng(SECRET_BYTES);
  try {
    // 'wx' fails if another process created the file first; that process's secret wins.
    writeFileSync(path, `${toHex(bytes)}\n`, { mode: 0o600, flag: 'wx' });
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'EEXIST') return { bytes: parse(readIfPresent(path) ?? '', path), source: 'reused' };
    throw new GatewayError('secret_unavailable', `cannot write the gateway secret to ${path}: ${(cause as Error).message}`, { cause });
  }
  return { bytes, source: 'generated' };
}

function readIfPresent(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new GatewayError('secret_unavailable', `cannot read the gateway secret ${path}: ${(cause as Error).message}`, { cause });
  }
}

function parse(text: string, path: string): Uint8Array {
  try {
    return fromHex(text.trim(), SECRET_BYTES);
  } catch (cause) {
    // The content is never quoted: it is the secret.
    throw new GatewayError('secret_unavailable', `${path} does not hold a gateway secret (${SECRET_BYTES * 2} hex digits)`, { cause });
  }
}
