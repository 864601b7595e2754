// lightning.lnd cert and macaroon: every accepted form (file, hex, base64; binary v2 and v1
// macaroons; PEM and base64 of PEM), and the exact one-line refusal of everything else,
// which names the setting and never the macaroon's value.
import { beforeAll, describe, expect, it } from 'vitest';
import { fakeMacaroon, fakeTlsCertificate } from '../test/fake-lnd/credentials.js';
import { LightningError } from './errors.js';
import { isMacaroon, lndCredentials, type CredentialFileReader, type LndSettings } from './lnd-credentials.js';

const MACAROON = fakeMacaroon('admin');
const HEX = MACAROON.toString('hex');
/** A v1 macaroon's packets: 4 hex digits of length, then "key value\n". */
const V1 = Buffer.from('0014location lnd\n0019identifier 0123456\n002fsignature ' + 'x'.repeat(32) + '\n');

function errno(code: string): Error {
  return Object.assign(new Error(`${code}: failed`), { code });
}

function reader(files: Record<string, Uint8Array | string>): CredentialFileReader {
  return (path) => {
    const content = files[path];
    if (content === undefined) throw errno('ENOENT');
    if (content === 'EACCES' || content === 'EISDIR') throw errno(content);
    return typeof content === 'string' ? Buffer.from(content) : content;
  };
}

function refused(settings: LndSettings, readFile = reader({})): string {
  try {
    lndCredentials(settings, readFile);
  } catch (err) {
    expect(err).toBeInstanceOf(LightningError);
    expect((err as LightningError).code).toBe('lnd_config_invalid');
    return (err as Error).message;
  }
  throw new Error('expected lnd_config_invalid');
}

describe('lndCredentials', () => {
  let pem: string;
  beforeAll(async () => {
    pem = (await fakeTlsCertificate()).cert;
  });
  const socket = '127.0.0.1:10009';

  it('takes the macaroon as hex, base64 or a file (binary, hex or base64 inside)', () => {
    const files = reader({ '/lnd/admin.macaroon': MACAROON, './hex.macaroon': `${HEX}\n`, 'b64.macaroon': MACAROON.toString('base64') });
    for (const macaroon of [HEX, HEX.toUpperCase(), MACAROON.toString('base64'), MACAROON.toString('base64url'), '/lnd/admin.macaroon', './hex.macaroon', 'b64.macaroon']) {
      expect(lndCredentials({ socket, macaroon }, files)).toEqual({ socket, macaroon: HEX });
    }
    expect(lndCredentials({ socket, macaroon: V1.toString('base64') }).macaroon).toBe(V1.toString('hex'));
  });

  it('takes the certificate as PEM, base64 of PEM, or a file of either', () => {
    const b64 = Buffer.from(pem).toString('base64');
    const files = reader({ '/lnd/tls.cert': pem, '/lnd/tls.b64': b64 });
    for (const cert of [pem, b64, '/lnd/tls.cert', '/lnd/tls.b64']) {
      expect(lndCredentials({ socket, cert, macaroon: HEX }, files)).toEqual({ socket, cert: b64, macaroon: HEX });
    }
  });

  it('checks the macaroon structure', () => {
    expect(isMacaroon(MACAROON)).toBe(true);
    expect(isMacaroon(V1)).toBe(true);
    expect(isMacaroon(MACAROON.subarray(0, MACAROON.length - 1))).toBe(false); // signature cut short
    expect(isMacaroon(Buffer.concat([MACAROON, Buffer.from([0])]))).toBe(false); // trailing bytes
    expect(isMacaroon(Buffer.from([2, 1, 3, 0x6c, 0x6e, 0x64, 0, 0, 6, 32, ...new Array(32).fill(1)]))).toBe(false); // no identifier
    expect(isMacaroon(Buffer.from([3, ...MACAROON.subarray(1)]))).toBe(false);
    expect(isMacaroon(Buffer.from('location lnd'))).toBe(false);
  });

  it('refuses what is not a macaroon with the exact line, never echoing the value', () => {
    const secretish = 'ab'.repeat(40);
    for (const macaroon of [secretish, 'not a macaroon at all', MACAROON.subarray(0, 40).toString('base64'), 'QUJD']) {
      const message = refused({ socket, macaroon });
      expect(message).toBe('lightning.lnd.macaroon: not a macaroon (expected a file path, hex or base64 of a macaroon)');
    }
    expect(refused({ socket, macaroon: '/lnd/missing.macaroon' })).toBe('lightning.lnd.macaroon: cannot read /lnd/missing.macaroon: no such file');
    expect(refused({ socket, macaroon: '/lnd/admin.macaroon' }, reader({ '/lnd/admin.macaroon': 'EACCES' }))).toBe(
      'lightning.lnd.macaroon: cannot read /lnd/admin.macaroon: permission denied',
    );
    expect(refused({ socket, macaroon: '/lnd' }, reader({ '/lnd': 'EISDIR' }))).toBe('lightning.lnd.macaroon: cannot read /lnd: it is a directory');
    expect(refused({ socket, macaroon: '/lnd/tls.cert' }, reader({ '/lnd/tls.cert': pem }))).toBe('lightning.lnd.macaroon: /lnd/tls.cert is not a macaroon file');
    expect(refused({ socket, macaroon: '/big' }, reader({ '/big': new Uint8Array(65_537) }))).toBe('lightning.lnd.macaroon: /big is larger than 65536 bytes');
  });

  it('refuses what is not a PEM certificate with the exact line', () => {
    const notCert = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
    for (const cert of ['bm90IGEgY2VydGlmaWNhdGU=', notCert, Buffer.from(notCert).toString('base64'), 'plain words']) {
      expect(refused({ socket, cert, macaroon: HEX })).toBe('lightning.lnd.cert: not a certificate (expected a file path, PEM or base64 of a PEM certificate)');
    }
    expect(refused({ socket, cert: '/lnd/tls.cert', macaroon: HEX }, reader({ '/lnd/tls.cert': MACAROON }))).toBe('lightning.lnd.cert: /lnd/tls.cert is not a PEM certificate');
    expect(refused({ socket, cert: '~/.lnd/tls.cert', macaroon: HEX })).toBe('lightning.lnd.cert: cannot read ~/.lnd/tls.cert: no such file');
  });

  it('requires socket and macaroon', () => {
    expect(refused({ macaroon: HEX })).toBe('lightning.lnd.socket: required when lightning.backend is "lnd"');
    expect(refused({ socket })).toBe('lightning.lnd.macaroon: required when lightning.backend is "lnd"');
  });
});
