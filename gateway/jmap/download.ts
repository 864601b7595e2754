// Blob download (RFC 8620 §6.2) at the session's downloadUrl: GET /jmap/download/:accountId/
// :blobId/:name?type=... (`accept` is taken as well). The blob is an Email's raw message or an
// upload, sent exactly as stored, or a body part of one, transfer-decoded (part-blobs.ts);
// another account, or a blob that is none of these, is the same 404 as an unknown path, so
// nothing tells another user's blob from a missing one.
import type { BlobService } from '../../services/blob-service.js';
import type { UnlockedAccount } from '../../services/unlocked-account.js';
import { errorResponse } from '../http/errors.js';
import type { HttpResponse, RoutedRequest } from '../http/types.js';
import { parseAccountId } from './ids.js';
import { readBlobById } from './part-blobs.js';

/** A media type with optional parameters, and nothing a header could be split with. */
export const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}(\s*;\s*[A-Za-z0-9!#$&^_.+-]+=("[^"\\\r\n]*"|[A-Za-z0-9!#$&^_.+-]+))*$/;
export const DEFAULT_BLOB_TYPE = 'application/octet-stream';

/** The download of `request`'s blob for the logged-in `account`. */
export async function downloadBlob(request: RoutedRequest, account: UnlockedAccount, blobs: Pick<BlobService, 'read'>): Promise<HttpResponse> {
  if (parseAccountId(request.params['accountId']) !== account.userId) return errorResponse('not_found');
  const raw = await readBlobById(blobs, account, request.params['blobId']);
  if (!raw) return errorResponse('not_found');
  const asked = request.query.get('type') ?? request.query.get('accept') ?? '';
  return {
    status: 200,
    headers: {
      'content-type': MEDIA_TYPE.test(asked) ? asked : DEFAULT_BLOB_TYPE,
      'content-disposition': contentDisposition(request.params['name'] ?? 'blob'),
      // A blob id always names the same bytes; only the logged-in user may keep them.
      'cache-control': 'private, immutable, max-age=31536000',
      // Whatever type the client asked for, the bytes never run as a page of this origin.
      'content-security-policy': "default-src 'none'; sandbox",
      'x-content-type-options': 'nosniff',
    },
    body: raw,
  };
}

/** `attachment` with the name as an ASCII fallback and as RFC 8187 UTF-8 (RFC 6266 §4.3). */
export function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
