// Blob upload (RFC 8620 §6.1) at the session's uploadUrl: POST /jmap/upload/:accountId/ with
// the bytes as the body, answered 201 with { accountId, blobId, type, size }. The route reads
// at most maxSizeUpload bytes (past it: a `limit` problem, 413); an account has at most
// maxConcurrentUpload uploads being stored at once (past it: `limit`, 429). The blob is sealed
// under the user's mailbox key before it is stored (services/blob-service.ts); another
// account's id is the same 404 as an unknown path.
import { isServiceError } from '../../services/errors.js';
import type { BlobService } from '../../services/blob-service.js';
import type { UnlockedAccount } from '../../services/unlocked-account.js';
import { errorResponse } from '../http/errors.js';
import { jsonResponse } from '../http/json.js';
import type { HttpResponse, RoutedRequest } from '../http/types.js';
import type { AccountSlots } from './account-slots.js';
import { DEFAULT_BLOB_TYPE, MEDIA_TYPE } from './download.js';
import { requestError } from './errors.js';
import { accountIdOf, blobIdOf, parseAccountId } from './ids.js';
import { MAX_CONCURRENT_UPLOAD, MAX_SIZE_UPLOAD } from './limits.js';

/** The answer to an upload larger than maxSizeUpload (the route's body limit). */
export function uploadTooLarge(): HttpResponse {
  return requestError('limit', `uploads are limited to ${MAX_SIZE_UPLOAD} bytes`, { limit: 'maxSizeUpload', status: 413 });
}

export async function uploadBlob(request: RoutedRequest, account: UnlockedAccount, blobs: Pick<BlobService, 'upload'>, slots: AccountSlots): Promise<HttpResponse> {
  if (parseAccountId(request.params['accountId']) !== account.userId) return errorResponse('not_found');
  if (!slots.take(account.userId)) {
    return requestError('limit', `at most ${MAX_CONCURRENT_UPLOAD} uploads at once`, { limit: 'maxConcurrentUpload', status: 429 });
  }
  try {
    const { blobId, size } = await blobs.upload(account, request.body);
    const type = String(request.headers['content-type'] ?? '').trim();
    return jsonResponse(201, { accountId: accountIdOf(account.userId), blobId: blobIdOf(blobId), type: MEDIA_TYPE.test(type) ? type : DEFAULT_BLOB_TYPE, size });
  } catch (err) {
    // Uploads waiting to be used count against a per-account allowance and the mailbox quota.
    if (isServiceError(err, 'quota_exceeded')) return requestError('limit', err.message, { limit: 'pendingUploadBytes', status: 413 });
    throw err;
  } finally {
    slots.release(account.userId);
  }
}
