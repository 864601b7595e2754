// Every request-level and method-level error of the API over raw HTTP, with its exact JSON;
// Core/echo and result references.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openJmapGateway, type JmapGateway } from '../../test/helpers/jmap-gateway.js';

let g: JmapGateway;
const CORE = 'urn:ietf:params:jmap:core';
const MAIL = 'urn:ietf:params:jmap:mail';

beforeAll(async () => {
  g = await openJmapGateway();
});

afterAll(async () => {
  await g.dispose();
});

const problem = (status: number, type: string, detail: string, extra: Record<string, unknown> = {}) => ({
  status,
  type: 'application/problem+json',
  json: { type: `urn:ietf:params:jmap:error:${type}`, status, detail, ...extra },
});

/** The method responses of one request, sessionState left out. */
async function calls(methodCalls: unknown[], using = [CORE, MAIL]): Promise<unknown> {
  const r = await g.post({ using, methodCalls });
  expect(r.status).toBe(200);
  return (r.json as { methodResponses: unknown }).methodResponses;
}

describe('request-level errors', () => {
  it('notJSON: another content type, a body that is not JSON or not UTF-8', async () => {
    expect(await g.post('{"using":[],"methodCalls":[]}', { 'content-type': 'text/plain' })).toEqual(problem(400, 'notJSON', 'the content type is not application/json'));
    expect(await g.post('{"using":', {})).toEqual(problem(400, 'notJSON', 'the body is not UTF-8 JSON'));
    const r = await fetch(`${g.base}/jmap/api`, { method: 'POST', headers: { authorization: g.basic('alice@example.test'), 'content-type': 'application/json; charset=utf-8' }, body: Buffer.from([0x22, 0xff, 0x22]) });
    expect({ status: r.status, json: await r.json() }).toEqual({ status: 400, json: problem(400, 'notJSON', 'the body is not UTF-8 JSON').json });
  });

  it('notRequest: JSON that is not a Request', async () => {
    expect(await g.post({ methodCalls: [] })).toEqual(problem(400, 'notRequest', 'the body is not a JMAP request: using: Invalid input: expected array, received undefined'));
    expect(await g.post([1])).toEqual(problem(400, 'notRequest', 'the body is not a JMAP request: Invalid input: expected object, received array'));
    expect(await g.post({ using: [], methodCalls: [['Core/echo', {}]] })).toEqual(problem(400, 'notRequest', 'the body is not a JMAP request: methodCalls.0: Too small: expected array to have >=3 items'));
  });

  it('unknownCapability', async () => {
    expect(await g.post({ using: [CORE, 'urn:example:nope'], methodCalls: [] })).toEqual(problem(400, 'unknownCapability', 'the server does not support the capability urn:example:nope'));
  });

  it('limit: more than maxCallsInRequest calls', async () => {
    const methodCalls = Array.from({ length: 17 }, (_, i) => ['Core/echo', {}, `c${i}`]);
    expect(await g.post({ using: [CORE], methodCalls })).toEqual(problem(400, 'limit', 'at most 16 method calls per request', { limit: 'maxCallsInRequest' }));
    expect(await calls(methodCalls.slice(0, 16), [CORE])).toHaveLength(16);
  });

  it('limit: a body over maxSizeRequest is 413 and the connection closes', async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(g.base).port), '127.0.0.1');
      let text = '';
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => (text += chunk));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
      socket.write(`POST /jmap/api HTTP/1.1\r\nHost: x\r\nAuthorization: ${g.basic('alice@example.test')}\r\nContent-Type: application/json\r\nContent-Length: 10000001\r\n\r\n{`);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 413 Payload Too Large\r\n/);
    expect(reply).toMatch(/\r\nconnection: close\r\n/i);
    expect(reply).toMatch(/\r\ncontent-type: application\/problem\+json\r\n/i);
    expect(reply.slice(reply.indexOf('\r\n\r\n') + 4)).toBe(JSON.stringify(problem(413, 'limit', 'requests are limited to 10000000 bytes', { limit: 'maxSizeRequest' }).json));
  });

  it('takes bodies over the 64 KiB of other routes', async () => {
    const big = 'x'.repeat(200_000);
    expect(await calls([['Core/echo', { big }, 'e']], [CORE])).toEqual([['Core/echo', { big }, 'e']]);
  });

  it('answers GET on the API with 405', async () => {
    const r = await fetch(`${g.base}/jmap/api`);
    expect({ status: r.status, allow: r.headers.get('allow'), body: await r.text() }).toEqual({ status: 405, allow: 'POST', body: '{"error":"method_not_allowed"}' });
  });
});

describe('method-level errors', () => {
  it('unknownMethod, also for a method whose capability is not in using', async () => {
    expect(await calls([['Foo/bar', {}, 'a'], ['Mailbox/get', { accountId: g.alice.accountId }, 'b']], [CORE])).toEqual([
      ['error', { type: 'unknownMethod', description: 'unknown method Foo/bar' }, 'a'],
      ['error', { type: 'unknownMethod', description: 'unknown method Mailbox/get' }, 'b'],
    ]);
  });

  it('invalidArguments', async () => {
    expect(await calls([
      ['Mailbox/get', { accountId: g.alice.accountId, ids: 5 }, 'a'],
      ['Mailbox/get', { accountId: g.alice.accountId, colour: 'red' }, 'b'],
      ['Email/get', { accountId: g.alice.accountId, ids: [], properties: ['bodyStructureX'] }, 'c'],
      ['Email/changes', { accountId: g.alice.accountId }, 'd'],
    ])).toEqual([
      ['error', { type: 'invalidArguments', description: 'ids: Invalid input: expected array, received number' }, 'a'],
      ['error', { type: 'invalidArguments', description: 'Unrecognized key: "colour"' }, 'b'],
      ['error', { type: 'invalidArguments', description: 'unknown or unsupported property bodyStructureX' }, 'c'],
      ['error', { type: 'invalidArguments', description: 'sinceState: Invalid input: expected string, received undefined' }, 'd'],
    ]);
  });

  it("accountNotFound for another user's account id or an unknown one", async () => {
    expect(await calls([
      ['Mailbox/get', { accountId: g.bob.accountId }, 'a'],
      ['Email/query', { accountId: 'nope' }, 'b'],
    ])).toEqual([
      ['error', { type: 'accountNotFound' }, 'a'],
      ['error', { type: 'accountNotFound' }, 'b'],
    ]);
  });

  it('invalidResultReference: unknown call, wrong name, path that does not resolve, not a reference', async () => {
    const id = g.alice.accountId;
    expect(await calls([
      ['Email/query', { accountId: id }, 'q'],
      ['Email/get', { accountId: id, '#ids': { resultOf: 'nope', name: 'Email/query', path: '/ids' } }, 'a'],
      ['Email/get', { accountId: id, '#ids': { resultOf: 'q', name: 'Email/get', path: '/ids' } }, 'b'],
      ['Email/get', { accountId: id, '#ids': { resultOf: 'q', name: 'Email/query', path: '/list/*/id' } }, 'c'],
      ['Email/get', { accountId: id, '#ids': 'q' }, 'd'],
      ['Email/get', { accountId: id, ids: [], '#ids': { resultOf: 'q', name: 'Email/query', path: '/ids' } }, 'e'],
    ])).toEqual([
      ['Email/query', expect.anything(), 'q'],
      ['error', { type: 'invalidResultReference', description: 'no Email/query response with id nope before this call' }, 'a'],
      ['error', { type: 'invalidResultReference', description: 'no Email/get response with id q before this call' }, 'b'],
      ['error', { type: 'invalidResultReference', description: 'the path /list/*/id does not resolve' }, 'c'],
      ['error', { type: 'invalidResultReference', description: '#ids is not a result reference' }, 'd'],
      ['error', { type: 'invalidArguments', description: 'both ids and #ids are given' }, 'e'],
    ]);
  });

  it('cannotCalculateChanges, stateMismatch, unsupportedFilter, unsupportedSort, anchorNotFound, requestTooLarge', async () => {
    const id = g.alice.accountId;
    expect(await calls([
      ['Email/changes', { accountId: id, sinceState: 'x' }, 'a'],
      ['Mailbox/changes', { accountId: id, sinceState: '999999' }, 'b'],
      ['Email/set', { accountId: id, ifInState: '999999', update: {} }, 'c'],
      ['Email/query', { accountId: id, filter: { color: 'x' } }, 'd'],
      ['Email/query', { accountId: id, sort: [{ property: 'color' }] }, 'e'],
      ['Email/query', { accountId: id, anchor: 'E1-1' }, 'f'],
      ['Email/get', { accountId: id, ids: Array.from({ length: 501 }, (_, i) => `E1-${i + 1}`) }, 'g'],
    ])).toEqual([
      ['error', { type: 'cannotCalculateChanges', description: '"x" is not a state of this account' }, 'a'],
      ['error', { type: 'cannotCalculateChanges', description: '"999999" is not a state of this account' }, 'b'],
      ['error', { type: 'stateMismatch' }, 'c'],
      ['error', { type: 'unsupportedFilter', description: 'filter: color is not a FilterCondition of Email/query' }, 'd'],
      ['error', { type: 'unsupportedSort', description: 'sort/0: sorting Emails by color is not supported' }, 'e'],
      ['error', { type: 'anchorNotFound' }, 'f'],
      ['error', { type: 'requestTooLarge', description: 'at most 500 ids per /get' }, 'g'],
    ]);
  });
});

describe('Core/echo and result references', () => {
  it('echoes its arguments and passes createdIds back', async () => {
    const r = await g.post({ using: [CORE], methodCalls: [['Core/echo', { a: [1, { b: null }] }, 'x']], createdIds: { k: 'v' } });
    expect(r.json).toEqual({ methodResponses: [['Core/echo', { a: [1, { b: null }] }, 'x']], createdIds: { k: 'v' }, sessionState: expect.stringMatching(/^[0-9a-f]{16}$/) });
  });

  it('resolves JSON Pointers with ~ escapes and * over arrays, flattening', async () => {
    expect(await calls([
      ['Core/echo', { list: [{ ids: ['a', 'b'] }, { ids: ['c'] }], 'x/y': { '~z': 7 } }, 'e'],
      ['Core/echo', { '#all': { resultOf: 'e', name: 'Core/echo', path: '/list/*/ids' }, '#one': { resultOf: 'e', name: 'Core/echo', path: '/list/1/ids/0' }, '#esc': { resultOf: 'e', name: 'Core/echo', path: '/x~1y/~0z' } }, 'f'],
    ], [CORE])).toEqual([
      ['Core/echo', { list: [{ ids: ['a', 'b'] }, { ids: ['c'] }], 'x/y': { '~z': 7 } }, 'e'],
      ['Core/echo', { all: ['a', 'b', 'c'], one: 'c', esc: 7 }, 'f'],
    ]);
  });
});
