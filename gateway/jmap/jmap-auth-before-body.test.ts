// The API and upload routes authenticate on the request head, before reading the body: a
// client without working credentials gets its exact 401 (or 429) while it has sent only part
// of a large declared body, and the connection closes; a logged-in client's body is read after
// the check (also with Expect: 100-continue) and answered as always.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openJmapGateway, PASSWORD, type JmapGateway } from '../../test/helpers/jmap-gateway.js';
import { parseRawReply, rawRequest, type RawReply } from '../../test/helpers/raw-http.js';
import { MAX_SIZE_REQUEST } from './limits.js';

let g: JmapGateway;
const ALICE = 'alice@example.test';
const CAROL = 'carol@example.test';
const CAROL_PASSWORD = 'carol-password';
const DAVE = 'dave@example.test';
const DAVE_PASSWORD = 'dave-password';
/** What a refused client gets to send of its body before the reply: 4 KiB. */
const PART = 'x'.repeat(4096);
/** A declared upload size under maxSizeUpload (50 MiB), so only the login refuses it. */
const UPLOAD_DECLARED = 50_000_000;
/** A declared API body size under maxSizeRequest. */
const API_DECLARED = MAX_SIZE_REQUEST - 1;

beforeAll(async () => {
  g = await openJmapGateway();
  await g.accounts.createUser({ address: CAROL, password: CAROL_PASSWORD });
  await g.accounts.createUser({ address: DAVE, password: DAVE_PASSWORD });
});

afterAll(async () => {
  await g.dispose();
});

const uploadPath = () => `/jmap/upload/${g.alice.accountId}/`;

/** The refusal BasicAuth gives, as the server sends it before the body: the connection closes. */
function refused(status: number, detail: string, extra: Record<string, string>): RawReply {
  const body = JSON.stringify({ type: 'about:blank', status, detail });
  return {
    status,
    headers: { 'content-type': 'application/problem+json', 'cache-control': 'no-store', ...extra, connection: 'close', 'content-length': String(body.length) },
    body,
  };
}
const unauthorized = (detail: string) => refused(401, detail, { 'www-authenticate': 'Basic realm="LNMP Gateway", charset="UTF-8"' });

/**
 * POSTs a head declaring `declared` body bytes and sends only PART of them; resolves with the
 * reply once the server has closed the connection, which must happen before any more is sent.
 */
async function partial(path: string, declared: number, headers: Record<string, string> = {}): Promise<RawReply> {
  const request = rawRequest(g.base, path, { 'Content-Type': 'application/json', 'Content-Length': String(declared), ...headers }, PART);
  try {
    return parseRawReply(await request.closed());
  } finally {
    request.destroy();
  }
}

describe('refused on the head, the body unread', () => {
  it('an upload without credentials: the exact 401 after 4 KiB of a declared 50,000,000 bytes, then the connection closes', async () => {
    expect(await partial(uploadPath(), UPLOAD_DECLARED)).toEqual(unauthorized('HTTP Basic credentials are required'));
    // The URL without its final slash too.
    expect(await partial(uploadPath().slice(0, -1), UPLOAD_DECLARED)).toEqual(unauthorized('HTTP Basic credentials are required'));
  });

  it('an API request without credentials: the exact 401 after 4 KiB of a declared 9,999,999 bytes, then the connection closes', async () => {
    expect(await partial('/jmap/api', API_DECLARED)).toEqual(unauthorized('HTTP Basic credentials are required'));
    expect(await partial('/jmap/api', API_DECLARED, { Authorization: 'Basic !!!' })).toEqual(unauthorized('HTTP Basic credentials are required'));
  });

  it('a wrong password, an unknown user or an unknown bearer token: the exact 401 "authentication failed"', async () => {
    const failed = unauthorized('authentication failed');
    expect(await partial(uploadPath(), UPLOAD_DECLARED, { Authorization: g.basic(ALICE, 'wrong-password') })).toEqual(failed);
    expect(await partial('/jmap/api', API_DECLARED, { Authorization: g.basic(ALICE, 'wrong-password') })).toEqual(failed);
    expect(await partial('/jmap/api', API_DECLARED, { Authorization: g.basic('nobody@example.test') })).toEqual(failed);
    expect(await partial(uploadPath(), UPLOAD_DECLARED, { Authorization: 'Bearer abc' })).toEqual(failed);
  });

  it('counts each refused login once, and a throttled account gets the exact 429 with Retry-After', async () => {
    // Two failures of the three allowed: the right password still works.
    for (let i = 0; i < 2; i++) expect((await partial('/jmap/api', API_DECLARED, { Authorization: g.basic(CAROL, 'wrong-password') })).status).toBe(401);
    const ok = await fetch(`${g.base}/jmap/api`, { method: 'POST', headers: { authorization: g.basic(CAROL, CAROL_PASSWORD), 'content-type': 'application/json' }, body: '{"using":[],"methodCalls":[]}' });
    expect(ok.status).toBe(200);
    // Three are the limit: then the right password is refused too (a login not cached before).
    for (let i = 0; i < 3; i++) expect((await partial(uploadPath(), UPLOAD_DECLARED, { Authorization: g.basic(DAVE, 'wrong-password') })).status).toBe(401);
    const throttled = refused(429, 'too many failed logins; try again later', { 'retry-after': '900' });
    expect(await partial(uploadPath(), UPLOAD_DECLARED, { Authorization: g.basic(DAVE, DAVE_PASSWORD) })).toEqual(throttled);
    expect(await partial('/jmap/api', API_DECLARED, { Authorization: g.basic(DAVE, DAVE_PASSWORD) })).toEqual(throttled);
  });

  it('with Expect: 100-continue, refuses without inviting the body', async () => {
    const request = rawRequest(g.base, '/jmap/api', { 'Content-Type': 'application/json', 'Content-Length': String(API_DECLARED), Expect: '100-continue' });
    try {
      const text = await request.closed();
      expect(text).toMatch(/^HTTP\/1\.1 401 Unauthorized\r\n/);
      expect(parseRawReply(text)).toEqual(unauthorized('HTTP Basic credentials are required'));
    } finally {
      request.destroy();
    }
  });

  it('still refuses a declared length over the limit with the route\'s 413, before any login', async () => {
    const body = JSON.stringify({ type: 'urn:ietf:params:jmap:error:limit', status: 413, detail: `requests are limited to ${MAX_SIZE_REQUEST} bytes`, limit: 'maxSizeRequest' });
    expect(await partial('/jmap/api', MAX_SIZE_REQUEST + 1)).toEqual({
      status: 413,
      headers: { 'content-type': 'application/problem+json', 'cache-control': 'no-store', connection: 'close', 'content-length': String(body.length) },
      body,
    });
  });
});

describe('let through on the head, the body read as before', () => {
  it('an upload whose body arrives after the check is stored whole', async () => {
    const bytes = Buffer.alloc(8192, 0x61);
    const request = rawRequest(g.base, uploadPath(), { Authorization: g.basic(ALICE), 'Content-Type': 'text/plain', 'Content-Length': String(bytes.length) }, bytes.subarray(0, 4096));
    try {
      // No answer while half the body is missing; then the rest, and the upload is answered.
      await expect(request.until('HTTP/1.1', 300)).rejects.toThrow(/^no "HTTP\/1\.1" within 300 ms/);
      request.send(bytes.subarray(4096));
      const reply = parseRawReply(await request.until('"size":'));
      expect(reply.status).toBe(201);
      expect(JSON.parse(reply.body)).toEqual({ accountId: g.alice.accountId, blobId: expect.stringMatching(/^B\d+$/), type: 'text/plain', size: 8192 });
      expect(reply.headers['connection']).toBe('keep-alive');
    } finally {
      request.destroy();
    }
  });

  it('an API call with Expect: 100-continue is invited to send its body, then answered', async () => {
    const body = JSON.stringify({ using: ['urn:ietf:params:jmap:core'], methodCalls: [['Core/echo', { hello: 'world' }, 'e']] });
    const request = rawRequest(g.base, '/jmap/api', { Authorization: g.basic(ALICE, PASSWORD), 'Content-Type': 'application/json', 'Content-Length': String(body.length), Expect: '100-continue' });
    try {
      expect(await request.until('\r\n\r\n')).toBe('HTTP/1.1 100 Continue\r\n\r\n');
      request.send(body);
      const reply = parseRawReply(await request.until('"sessionState"'));
      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.body)).toEqual({ methodResponses: [['Core/echo', { hello: 'world' }, 'e']], sessionState: expect.stringMatching(/^[0-9a-f]{16}$/) });
    } finally {
      request.destroy();
    }
  });

  it('an upload and an API call with fetch work as always', async () => {
    const up = await fetch(`${g.base}${uploadPath()}`, { method: 'POST', headers: { authorization: g.basic(ALICE), 'content-type': 'application/octet-stream' }, body: Buffer.from('hello') });
    expect({ status: up.status, json: await up.json() }).toEqual({ status: 201, json: { accountId: g.alice.accountId, blobId: expect.stringMatching(/^B\d+$/), type: 'application/octet-stream', size: 5 } });
    const api = await g.post({ using: ['urn:ietf:params:jmap:core'], methodCalls: [['Core/echo', { n: 1 }, 'a']] });
    expect(api).toEqual({ status: 200, type: 'application/json', json: { methodResponses: [['Core/echo', { n: 1 }, 'a']], sessionState: expect.stringMatching(/^[0-9a-f]{16}$/) } });
  });
});
