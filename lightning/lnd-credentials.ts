// The lightning.lnd settings turned into what `authenticatedLndGrpc` takes: the socket, the
// TLS certificate as base64 of its PEM, the macaroon as hex. Cert and macaroon are each a
// file path or the value itself; anything unusable is one line naming the setting, and the
// macaroon's value never appears in it (file paths do: they are not secret).
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Config } from '../config/schema.js';
import { LightningError } from './errors.js';
import { LND_MAX_CREDENTIAL_FILE_BYTES } from './limits.js';

export type LndSettings = Config['lightning']['lnd'];

export interface LndCredentials {
  socket: string;
  /** Base64 of the PEM text; absent when the node's certificate is signed by a public CA. */
  cert?: string;
  /** Hex of the binary macaroon. */
  macaroon: string;
}

/** Reads a whole file; throws like fs.readFileSync (with `code`) on failure. */
export type CredentialFileReader = (path: string) => Uint8Array;

const NOT_A_MACAROON = 'not a macaroon (expected a file path, hex or base64 of a macaroon)';
const NOT_A_CERT = 'not a certificate (expected a file path, PEM or base64 of a PEM certificate)';
const HEX_RE = /^(?:[0-9a-fA-F]{2})+$/;
const BASE64_RE = /^[A-Za-z0-9+/_-]+={0,2}$/;
const PEM_CERT_RE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

function invalid(setting: 'socket' | 'cert' | 'macaroon', detail: string): LightningError {
  return new LightningError('lnd_config_invalid', `lightning.lnd.${setting}: ${detail}`);
}

/**
 * A file path, not an encoded value: hex and base64 never hold '.', '\' or '~', and neither
 * the base64 of a macaroon ("Ag…", "MDA…") nor of a PEM ("LS0t…") starts with '/'.
 */
function isPathLike(value: string): boolean {
  return value.startsWith('/') || /[.\\~]/.test(value);
}

/**
 * The minimal structure of a macaroon. v2 (LND's): 0x02, then the header fields (location?,
 * identifier) and EOS, caveats (location?, identifier, vid?, EOS each) ending in EOS, and a
 * 32-byte signature. v1: packets of 4 hex digits of length and "key value\n", location first.
 */
export function isMacaroon(bytes: Uint8Array): boolean {
  if (bytes[0] === 2) return isMacaroonV2(bytes);
  const head = Buffer.from(bytes.subarray(0, 13)).toString('latin1');
  return /^[0-9a-f]{4}location $/.test(head);
}

function isMacaroonV2(b: Uint8Array): boolean {
  let pos = 1;
  /** Reads one field; its type, or -1 when the bytes end inside it. */
  const field = (): number => {
    const type = b[pos];
    if (type === undefined) return -1;
    pos += 1;
    if (type === 0) return 0;
    let length = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = b[pos++];
      if (byte === undefined || shift > 28) return -1;
      length += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) break;
    }
    pos += length;
    return pos <= b.length ? type : -1;
  };
  /** A section: fields of increasing type from `allowed`, one identifier, then EOS. */
  const section = (allowed: readonly number[]): boolean => {
    let last = 0;
    let identified = false;
    for (;;) {
      const type = field();
      if (type === 0) return identified;
      if (type <= last || !allowed.includes(type)) return false;
      if (type === 2) identified = true;
      last = type;
    }
  };
  if (!section([1, 2])) return false;
  while (b[pos] !== 0) {
    if (b[pos] === undefined || !section([1, 2, 4])) return false;
  }
  pos += 1;
  const signatureStart = pos;
  return field() === 6 && pos === b.length && b[signatureStart + 1] === 32;
}

function decodeText(text: string): Uint8Array[] {
  const candidates: Uint8Array[] = [];
  if (HEX_RE.test(text)) candidates.push(Buffer.from(text, 'hex'));
  if (BASE64_RE.test(text)) candidates.push(Buffer.from(text, 'base64'));
  return candidates;
}

function readSetting(setting: 'cert' | 'macaroon', path: string, readFile: CredentialFileReader): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'no such file' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (code ?? 'read failed');
    throw invalid(setting, `cannot read ${path}: ${reason}`);
  }
  if (bytes.length > LND_MAX_CREDENTIAL_FILE_BYTES) {
    throw invalid(setting, `${path} is larger than ${LND_MAX_CREDENTIAL_FILE_BYTES} bytes`);
  }
  return bytes;
}

/** The macaroon as hex: from a file (binary, or hex/base64 text), else the value as hex or base64. */
export function macaroonHex(value: string, readFile: CredentialFileReader): string {
  if (isPathLike(value)) {
    const bytes = readSetting('macaroon', value, readFile);
    const found = [bytes, ...decodeText(Buffer.from(bytes).toString('latin1').trim())].find(isMacaroon);
    if (!found) throw invalid('macaroon', `${value} is not a macaroon file`);
    return Buffer.from(found).toString('hex');
  }
  const found = decodeText(value.trim()).find(isMacaroon);
  if (!found) throw invalid('macaroon', NOT_A_MACAROON);
  return Buffer.from(found).toString('hex');
}

/** A PEM text whose first certificate parses, or undefined. */
function pemCertificate(text: string): string | undefined {
  const block = PEM_CERT_RE.exec(text)?.[0];
  if (block === undefined) return undefined;
  try {
    new X509Certificate(block);
    return text;
  } catch {
    return undefined;
  }
}

function pemOf(text: string): string | undefined {
  const trimmed = text.trim();
  if (trimmed.startsWith('-----BEGIN')) return pemCertificate(trimmed);
  return BASE64_RE.test(trimmed) ? pemCertificate(Buffer.from(trimmed, 'base64').toString('latin1')) : undefined;
}

/** The certificate as base64 of its PEM: from a file (PEM or base64 of PEM), PEM text, or base64 of PEM. */
export function certBase64(value: string, readFile: CredentialFileReader): string {
  const trimmed = value.trim();
  if (!trimmed.startsWith('-----BEGIN') && isPathLike(trimmed)) {
    const pem = pemOf(Buffer.from(readSetting('cert', trimmed, readFile)).toString('latin1'));
    if (pem === undefined) throw invalid('cert', `${trimmed} is not a PEM certificate`);
    return Buffer.from(pem, 'latin1').toString('base64');
  }
  const pem = pemOf(trimmed);
  if (pem === undefined) throw invalid('cert', NOT_A_CERT);
  return Buffer.from(pem, 'latin1').toString('base64');
}

/** Checks and converts lightning.lnd; throws `lnd_config_invalid` naming the setting. */
export function lndCredentials(settings: LndSettings, readFile: CredentialFileReader = readFileSync): LndCredentials {
  if (settings.socket === undefined) throw invalid('socket', 'required when lightning.backend is "lnd"');
  if (settings.macaroon === undefined) throw invalid('macaroon', 'required when lightning.backend is "lnd"');
  const macaroon = macaroonHex(settings.macaroon, readFile);
  if (settings.cert === undefined) return { socket: settings.socket, macaroon };
  return { socket: settings.socket, cert: certBase64(settings.cert, readFile), macaroon };
}
