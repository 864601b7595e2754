// The admin wire format: request line → parsed request or error parts, and reply lines.
import { describe, expect, it } from 'vitest';
import { adminSocketPath, encodeReply, encodeRequest, parseReply, parseRequest } from './protocol.js';

describe('parseRequest', () => {
  it.each([
    ['{"id":1,"op":"domain.list"}', { id: 1, op: 'domain.list', args: {} }],
    ['{"id":"a-1","op":"domain.add","args":{"name":"example.org"}}', { id: 'a-1', op: 'domain.add', args: { name: 'example.org' } }],
    ['  {"id":0,"op":"x","args":{}}  ', { id: 0, op: 'x', args: {} }],
  ])('%s is a request', (line, request) => {
    expect(parseRequest(line)).toEqual({ ok: true, request });
  });

  it.each([
    ['not json', null, 'the request is not valid JSON'],
    ['{"id":1,"op":', null, 'the request is not valid JSON'],
    ['[1,2]', null, 'invalid request: Invalid input: expected object, received array'],
    ['{"op":"domain.list"}', null, 'invalid request: id: expected an integer or a string of at most 64 characters'],
    ['{"id":1.5,"op":"domain.list"}', null, 'invalid request: id: expected an integer or a string of at most 64 characters'],
    ['{"id":7}', 7, 'invalid request: op: Invalid input: expected string, received undefined'],
    ['{"id":7,"op":"domain.list","args":[]}', 7, 'invalid request: args: Invalid input: expected record, received array'],
    ['{"id":7,"op":"domain.list","extra":1}', 7, 'invalid request: Unrecognized key: "extra"'],
    [`{"id":"${'x'.repeat(65)}","op":"domain.list"}`, null, 'invalid request: id: expected an integer or a string of at most 64 characters'],
  ])('%s is a bad_request with id %j', (line, id, message) => {
    expect(parseRequest(line)).toEqual({ ok: false, id, error: { code: 'bad_request', message } });
  });
});

describe('replies', () => {
  it('encode to exactly one line, newlines in strings included', () => {
    const line = encodeReply({ id: 1, ok: false, error: { code: 'bad_request', message: 'two\nlines' } });
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(parseReply(line.slice(0, -1))).toEqual({ id: 1, ok: false, error: { code: 'bad_request', message: 'two\nlines' } });
    expect(encodeRequest({ id: 2, op: 'domain.list', args: {} })).toBe('{"id":2,"op":"domain.list","args":{}}\n');
  });

  it.each([['{"id":1,"ok":true,"result":[1]}'], ['{"id":null,"ok":false,"error":{"code":"x","message":"y"}}']])('%s is a reply', (line) => {
    expect(parseReply(line)).toEqual(JSON.parse(line));
  });

  it.each([['nope'], ['{"id":1}'], ['{"id":1,"ok":false}'], ['{"id":1,"ok":true,"result":1,"x":2}']])('%s is not a reply', (line) => {
    expect(parseReply(line)).toBeUndefined();
  });
});

describe('adminSocketPath', () => {
  it('is admin.sock in the data directory', () => {
    expect(adminSocketPath('./data')).toBe('data/admin.sock');
    expect(adminSocketPath('/var/lib/lnmp')).toBe('/var/lib/lnmp/admin.sock');
  });
});
