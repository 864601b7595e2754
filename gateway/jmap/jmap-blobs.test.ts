// JMAP blobs over the real gateway: upload (RFC 8620 §6.1) and download of the same bytes,
// sealed at rest, the size, quota and concurrency limits with their exact problem details,
// the unreferenced-upload sweep, Blob/copy, and that one user's uploads are nobody else's.
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobService, UPLOAD_KEEP_MS } from '../../services/blob-service.js';
import { systemRng } from '../../services/random.js';
import { openJmapGateway, PASSWORD, type JmapGateway } from '../../test/helpers/jmap-gateway.js';
import { AccountSlots } from './account-slots.js';
import { MAX_CONCURRENT_UPLOAD, MAX_SIZE_UPLOAD } from './limits.js';
import { uploadBlob } from './upload.js';

let g: JmapGateway;
const ALICE = 'alice@example.test';
const BOB = 'bob@example.test';
const CORE = 'urn:ietf:params:jmap:core';
const MAIL = 'urn:ietf:params:jmap:mail';
/** Bytes no text decoder would keep: NUL, 0xff, CR without LF, and a marker to look for. */
const BYTES = Buffer.concat([Buffer.from([0, 255, 13, 0x80]), Buffer.from('upload-marker-7f3a plain text '.repeat(50))]);

beforeAll(async () => {
  g = await openJmapGateway();
});

afterAll(async () => {
  await g.dispose();
});

interface Reply {
  status: number;
  type: string | null;
  json: Record<string, unknown>;
}

async function upload(body: Uint8Array, opts: { as?: string; accountId?: string; type?: string } = {}): Promise<Reply> {
  const r = await fetch(`${g.base}/jmap/upload/${opts.accountId ?? g.alice.accountId}/`, {
    method: 'POST',
    headers: { authorization: g.basic(opts.as ?? ALICE), ...(opts.type ? { 'content-type': opts.type } : {}) },
    body,
  });
  return { status: r.status, type: r.headers.get('content-type'), json: (await r.json()) as Record<string, unknown> };
}

async function download(accountId: string, blobId: string, as = ALICE): Promise<{ status: number; bytes: Buffer }> {
  const r = await fetch(`${g.base}/jmap/download/${accountId}/${blobId}/file.bin?type=application/octet-stream`, { headers: { authorization: g.basic(as) } });
  return { status: r.status, bytes: Buffer.from(await r.arrayBuffer()) };
}

async function call(name: string, args: Record<string, unknown>, as = ALICE): Promise<unknown> {
  const r = await g.post({ using: [CORE, MAIL], methodCalls: [[name, args, 'c']] }, { authorization: g.basic(as) });
  expect(r.status).toBe(200);
  return (r.json as { methodResponses: unknown[] }).methodResponses[0];
}

describe('upload and download', () => {
  it('answers 201 with the blob, and the download is the same bytes', async () => {
    const session = (await (await fetch(`${g.base}/.well-known/jmap`, { headers: { authorization: g.basic(ALICE) } })).json()) as { uploadUrl: string };
    const url = session.uploadUrl.replace('{accountId}', g.alice.accountId);
    const r = await fetch(url, { method: 'POST', headers: { authorization: g.basic(ALICE), 'content-type': 'text/plain; charset=utf-8' }, body: BYTES });
    expect(r.status).toBe(201);
    const json = (await r.json()) as Record<string, unknown>;
    expect(json).toEqual({ accountId: g.alice.accountId, blobId: expect.stringMatching(/^B\d+$/), type: 'text/plain; charset=utf-8', size: BYTES.length });
    const got = await download(g.alice.accountId, json['blobId'] as string);
    expect(got.status).toBe(200);
    expect(got.bytes.equals(BYTES)).toBe(true);
  });

  it('takes the URL without its final slash, an empty body, and a missing or odd type as octets', async () => {
    const r = await fetch(`${g.base}/jmap/upload/${g.alice.accountId}`, { method: 'POST', headers: { authorization: g.basic(ALICE), 'content-type': 'not a type' }, body: new Uint8Array(0) });
    expect(r.status).toBe(201);
    expect(await r.json()).toEqual({ accountId: g.alice.accountId, blobId: expect.stringMatching(/^B\d+$/), type: 'application/octet-stream', size: 0 });
    expect((await upload(Buffer.from('x'))).json).toEqual({ accountId: g.alice.accountId, blobId: expect.stringMatching(/^B\d+$/), type: 'application/octet-stream', size: 1 });
  });

  it('stores the upload sealed, never in clear', async () => {
    const { json } = await upload(BYTES);
    const id = Number((json['blobId'] as string).slice(1));
    const [row] = await g.t.db.query<{ data: Uint8Array; seal: number; uploaded: boolean }>('SELECT data, seal, uploaded_at IS NOT NULL AS uploaded FROM blobs WHERE id = $1', [id]);
    expect(row!.seal).toBe(2);
    expect(row!.uploaded).toBe(true);
    expect(Buffer.from(row!.data).includes('upload-marker-7f3a')).toBe(false);
    expect(row!.data.length).toBe(BYTES.length + 12 + 16);
  });

  it('refuses more than maxSizeUpload with a limit problem (413) before reading the body', async () => {
    const reply = await new Promise<{ status: number; type: string | undefined; body: string }>((resolve, reject) => {
      const req = httpRequest(`${g.base}/jmap/upload/${g.alice.accountId}/`, {
        method: 'POST',
        headers: { authorization: g.basic(ALICE), 'content-length': String(MAX_SIZE_UPLOAD + 1) },
      });
      req.on('response', (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode!, type: res.headers['content-type'], body }));
      });
      req.on('error', reject);
      req.write('x');
    });
    expect(reply.status).toBe(413);
    expect(reply.type).toBe('application/problem+json');
    expect(JSON.parse(reply.body)).toEqual({ type: 'urn:ietf:params:jmap:error:limit', status: 413, detail: 'uploads are limited to 52428800 bytes', limit: 'maxSizeUpload' });
  });

  it('refuses an upload that does not fit the quota with the stored mail and other unused uploads', async () => {
    await g.t.db.query('UPDATE users SET quota_bytes = 100 WHERE id = $1', [g.bob.userId]);
    try {
      expect((await upload(Buffer.alloc(60, 1), { as: BOB, accountId: g.bob.accountId })).status).toBe(201);
      expect(await upload(Buffer.alloc(60, 2), { as: BOB, accountId: g.bob.accountId })).toEqual({
        status: 413,
        type: 'application/problem+json',
        json: { type: 'urn:ietf:params:jmap:error:limit', status: 413, detail: 'the upload would not fit in the mailbox quota', limit: 'pendingUploadBytes' },
      });
    } finally {
      await g.t.db.query('UPDATE users SET quota_bytes = 1073741824 WHERE id = $1', [g.bob.userId]);
    }
  });

  it('answers more than maxConcurrentUpload uploads of one account at once with a limit problem (429)', async () => {
    const account = await g.accounts.authenticate(ALICE, PASSWORD);
    const slots = new AccountSlots(MAX_CONCURRENT_UPLOAD);
    for (let i = 0; i < MAX_CONCURRENT_UPLOAD; i++) expect(slots.take(account.userId)).toBe(true);
    const blobs = new BlobService(g.t.db, { rng: systemRng });
    const request = { method: 'POST', path: '/', query: new URLSearchParams(), headers: {}, body: Buffer.from('x'), params: { accountId: g.alice.accountId } };
    const busy = await uploadBlob(request, account, blobs, slots);
    expect({ status: busy.status, body: JSON.parse(busy.body as string) }).toEqual({
      status: 429,
      body: { type: 'urn:ietf:params:jmap:error:limit', status: 429, detail: `at most ${MAX_CONCURRENT_UPLOAD} uploads at once`, limit: 'maxConcurrentUpload' },
    });
    // Another account has its own slots; a slot given back is free again.
    const bob = await g.accounts.authenticate(BOB, PASSWORD);
    expect((await uploadBlob({ ...request, params: { accountId: g.bob.accountId } }, bob, blobs, slots)).status).toBe(201);
    slots.release(account.userId);
    expect((await uploadBlob(request, account, blobs, slots)).status).toBe(201);
  });

  it('needs a login, and is the same 404 as an unknown path for another account', async () => {
    const anonymous = await fetch(`${g.base}/jmap/upload/${g.alice.accountId}/`, { method: 'POST', body: 'x' });
    expect(anonymous.status).toBe(401);
    expect(await upload(Buffer.from('x'), { accountId: g.bob.accountId })).toEqual({ status: 404, type: 'application/json', json: { error: 'not_found' } });
    expect(await upload(Buffer.from('x'), { accountId: 'A999999' })).toEqual({ status: 404, type: 'application/json', json: { error: 'not_found' } });
  });
});

describe("one user's uploads are nobody else's", () => {
  it('bob can neither download, parse, copy nor import an upload of alice', async () => {
    const blobId = (await upload(Buffer.from('Subject: private\r\n\r\nalice only\r\n'))).json['blobId'] as string;
    expect((await download(g.bob.accountId, blobId, BOB)).status).toBe(404);
    expect((await download(g.alice.accountId, blobId, BOB)).status).toBe(404);
    expect(await call('Email/parse', { accountId: g.bob.accountId, blobIds: [blobId] }, BOB)).toEqual(['Email/parse', { accountId: g.bob.accountId, parsed: null, notParsable: null, notFound: [blobId] }, 'c']);
    expect(await call('Blob/copy', { fromAccountId: g.bob.accountId, accountId: g.bob.accountId, blobIds: [blobId] }, BOB)).toEqual([
      'Blob/copy', { fromAccountId: g.bob.accountId, accountId: g.bob.accountId, copied: null, notCopied: { [blobId]: { type: 'notFound' } } }, 'c',
    ]);
    const inbox = (await g.mailboxes.byRole(await g.accounts.authenticate(BOB, PASSWORD), 'inbox')).id;
    expect(await call('Email/import', { accountId: g.bob.accountId, emails: { k: { blobId, mailboxIds: { [`M${inbox}`]: true } } } }, BOB)).toEqual([
      'Email/import', { accountId: g.bob.accountId, oldState: expect.any(String), newState: expect.any(String), created: null, notCreated: { k: { type: 'invalidProperties', description: 'no such blob', properties: ['blobId'] } } }, 'c',
    ]);
    // Naming alice's account gets bob nothing either.
    expect(await call('Email/parse', { accountId: g.alice.accountId, blobIds: [blobId] }, BOB)).toEqual(['error', { type: 'accountNotFound' }, 'c']);
  });
});

describe('Blob/copy', () => {
  it('within the account, copies a blob it holds to itself and reports the others notFound', async () => {
    const blobId = (await upload(Buffer.from('copy me'))).json['blobId'] as string;
    expect(await call('Blob/copy', { fromAccountId: g.alice.accountId, accountId: g.alice.accountId, blobIds: [blobId, 'B999999', 'nope'] })).toEqual([
      'Blob/copy',
      { fromAccountId: g.alice.accountId, accountId: g.alice.accountId, copied: { [blobId]: blobId }, notCopied: { B999999: { type: 'notFound' }, nope: { type: 'notFound' } } },
      'c',
    ]);
  });

  it('from or to another account: fromAccountNotFound, accountNotFound', async () => {
    expect(await call('Blob/copy', { fromAccountId: g.bob.accountId, accountId: g.alice.accountId, blobIds: ['B1'] })).toEqual(['error', { type: 'fromAccountNotFound' }, 'c']);
    expect(await call('Blob/copy', { fromAccountId: 'A999999', accountId: g.alice.accountId, blobIds: ['B1'] })).toEqual(['error', { type: 'fromAccountNotFound' }, 'c']);
    expect(await call('Blob/copy', { fromAccountId: g.alice.accountId, accountId: g.bob.accountId, blobIds: ['B1'] })).toEqual(['error', { type: 'accountNotFound' }, 'c']);
  });
});

describe('unreferenced uploads', () => {
  it('are kept an hour, then swept; an imported one stays with its Email', async () => {
    const kept = (await upload(Buffer.from('Subject: keep\r\n\r\nimported\r\n'))).json['blobId'] as string;
    const dropped = (await upload(Buffer.from('never used'))).json['blobId'] as string;
    const inbox = (await g.mailboxes.byRole(await g.accounts.authenticate(ALICE, PASSWORD), 'inbox')).id;
    const imported = (await call('Email/import', { accountId: g.alice.accountId, emails: { k: { blobId: kept, mailboxIds: { [`M${inbox}`]: true } } } })) as [string, { created: unknown }];
    expect(imported[1].created).toEqual({ k: expect.objectContaining({ blobId: kept }) });

    expect(await new BlobService(g.t.db, { rng: systemRng, now: () => Date.now() + UPLOAD_KEEP_MS - 60_000 }).purgeExpired()).toBe(0);
    expect((await download(g.alice.accountId, dropped)).status).toBe(200);
    const later = new BlobService(g.t.db, { rng: systemRng, now: () => Date.now() + UPLOAD_KEEP_MS + 60_000 });
    expect(await later.purgeExpired()).toBeGreaterThanOrEqual(1);
    expect((await download(g.alice.accountId, dropped)).status).toBe(404);
    expect((await download(g.alice.accountId, kept)).status).toBe(200);
    const [row] = await g.t.db.query<{ uploaded_at: Date | null }>('SELECT uploaded_at FROM blobs WHERE id = $1', [Number(kept.slice(1))]);
    expect(row!.uploaded_at).toBeNull();
  });

  it('an upload imported and destroyed within the hour can still be downloaded until the sweep', async () => {
    const blobId = (await upload(Buffer.from('Subject: brief\r\n\r\nshort-lived\r\n'))).json['blobId'] as string;
    const inbox = (await g.mailboxes.byRole(await g.accounts.authenticate(ALICE, PASSWORD), 'inbox')).id;
    await call('Email/import', { accountId: g.alice.accountId, emails: { k: { blobId, mailboxIds: { [`M${inbox}`]: true } } } });
    const emailId = `E${blobId.slice(1)}`;
    expect(await call('Email/set', { accountId: g.alice.accountId, destroy: [emailId] })).toEqual(['Email/set', expect.objectContaining({ destroyed: [emailId] }), 'c']);
    expect((await download(g.alice.accountId, blobId)).status).toBe(200);
    await new BlobService(g.t.db, { rng: systemRng, now: () => Date.now() + UPLOAD_KEEP_MS + 60_000 }).purgeExpired();
    expect((await download(g.alice.accountId, blobId)).status).toBe(404);
  });
});
