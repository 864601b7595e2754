// The session resource and authentication over real HTTP against PostgreSQL: the exact
// session JSON (jmap-jam reads it), 401 with WWW-Authenticate, 429 when throttled.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openJmapGateway, type JmapGateway } from '../../test/helpers/jmap-gateway.js';

let g: JmapGateway;

beforeAll(async () => {
  g = await openJmapGateway();
  await g.accounts.createUser({ address: 'carol@example.test', password: 'carol-password' });
});

afterAll(async () => {
  await g.dispose();
});

async function get(path: string, headers: Record<string, string> = {}) {
  const r = await fetch(`${g.base}${path}`, { headers });
  return { status: r.status, type: r.headers.get('content-type'), www: r.headers.get('www-authenticate'), retryAfter: r.headers.get('retry-after'), json: await r.json() };
}

const UNAUTHORIZED = (detail: string) => ({
  status: 401,
  type: 'application/problem+json',
  www: 'Basic realm="LNMP Gateway", charset="UTF-8"',
  retryAfter: null,
  json: { type: 'about:blank', status: 401, detail },
});

describe('GET /.well-known/jmap', () => {
  it('describes the account, the capabilities with every limit, and absolute URLs', async () => {
    const r = await get('/.well-known/jmap', { authorization: g.basic('alice@example.test') });
    const id = g.alice.accountId;
    expect(r.status).toBe(200);
    expect(r.type).toBe('application/json');
    expect(r.json).toEqual({
      capabilities: {
        'urn:ietf:params:jmap:core': {
          maxSizeUpload: 52428800,
          maxConcurrentUpload: 4,
          maxSizeRequest: 10000000,
          maxConcurrentRequests: 4,
          maxCallsInRequest: 16,
          maxObjectsInGet: 500,
          maxObjectsInSet: 500,
          collationAlgorithms: ['i;unicode-casemap', 'i;ascii-casemap'],
        },
        'urn:ietf:params:jmap:mail': {},
        'urn:ietf:params:jmap:submission': {},
        'urn:ietf:params:jmap:vacationresponse': {},
        'urn:ietf:params:jmap:websocket': { url: `${g.base.replace(/^http:/, 'ws:')}/jmap/ws`, supportsPush: true },
      },
      accounts: {
        [id]: {
          name: 'alice@example.test',
          isPersonal: true,
          isReadOnly: false,
          accountCapabilities: {
            'urn:ietf:params:jmap:mail': {
              maxMailboxesPerEmail: null,
              maxMailboxDepth: null,
              maxSizeMailboxName: 255,
              maxSizeAttachmentsPerEmail: 52428800,
              emailQuerySortOptions: ['receivedAt', 'size', 'from', 'to', 'subject', 'sentAt', 'hasKeyword', 'allInThreadHaveKeyword', 'someInThreadHaveKeyword'],
              mayCreateTopLevelMailbox: true,
            },
            'urn:ietf:params:jmap:submission': { maxDelayedSend: 0, submissionExtensions: {} },
            'urn:ietf:params:jmap:vacationresponse': {},
          },
        },
      },
      primaryAccounts: { 'urn:ietf:params:jmap:mail': id, 'urn:ietf:params:jmap:submission': id, 'urn:ietf:params:jmap:vacationresponse': id },
      username: 'alice@example.test',
      apiUrl: `${g.base}/jmap/api`,
      downloadUrl: `${g.base}/jmap/download/{accountId}/{blobId}/{name}?type={type}`,
      uploadUrl: `${g.base}/jmap/upload/{accountId}/`,
      eventSourceUrl: `${g.base}/jmap/eventsource?types={types}&closeafter={closeafter}&ping={ping}`,
      state: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
  });

  it('is what jmap-jam loads, and its state is the sessionState of API responses', async () => {
    const jam = g.jam();
    const session = await jam.session;
    expect(await jam.getPrimaryAccount()).toBe(g.alice.accountId);
    const [echo, meta] = await jam.request(['Core/echo', { hello: 'world' }]);
    expect(echo).toEqual({ hello: 'world' });
    expect(meta.sessionState).toBe(session['state']);
  });

  it('answers 401 with WWW-Authenticate without credentials, with a bearer token, malformed or wrong ones', async () => {
    expect(await get('/.well-known/jmap')).toEqual(UNAUTHORIZED('HTTP Basic credentials are required'));
    // A bearer value is taken as a token (lnmp-gateway token create): one that is not one fails.
    expect(await get('/.well-known/jmap', { authorization: 'Bearer abc' })).toEqual(UNAUTHORIZED('authentication failed'));
    expect(await get('/.well-known/jmap', { authorization: 'Basic !!!' })).toEqual(UNAUTHORIZED('HTTP Basic credentials are required'));
    expect(await get('/.well-known/jmap', { authorization: `Basic ${Buffer.from('no-colon').toString('base64')}` })).toEqual(UNAUTHORIZED('HTTP Basic credentials are required'));
    expect(await get('/.well-known/jmap', { authorization: g.basic('alice@example.test', 'wrong-password') })).toEqual(UNAUTHORIZED('authentication failed'));
    expect(await get('/.well-known/jmap', { authorization: g.basic('nobody@example.test') })).toEqual(UNAUTHORIZED('authentication failed'));
    const api = await g.post({ using: [], methodCalls: [] }, { authorization: '' });
    expect(api).toEqual({ status: 401, type: 'application/problem+json', json: { type: 'about:blank', status: 401, detail: 'HTTP Basic credentials are required' } });
  });

  it('throttles an account after 3 failures: 429 with Retry-After even for the right password; others unaffected', async () => {
    for (let i = 0; i < 3; i++) {
      expect((await get('/.well-known/jmap', { authorization: g.basic('carol@example.test', 'wrong-password') })).status).toBe(401);
    }
    expect(await get('/.well-known/jmap', { authorization: g.basic('carol@example.test', 'carol-password') })).toEqual({
      status: 429,
      type: 'application/problem+json',
      www: null,
      retryAfter: '900',
      json: { type: 'about:blank', status: 429, detail: 'too many failed logins; try again later' },
    });
    expect((await get('/.well-known/jmap', { authorization: g.basic('bob@example.test') })).status).toBe(200);
  });
});
