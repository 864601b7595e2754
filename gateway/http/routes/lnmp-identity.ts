// GET /.well-known/lnmp: the gateway's signed LNMP identity document (the `_lnmp` DNS record
// points here). Until the gateway has loaded its identity at start-up the answer is 503.
import type { IdentityDocument } from '../../../core/index.js';
import { errorResponse } from '../errors.js';
import { jsonResponse } from '../json.js';
import type { Route } from '../types.js';

export const LNMP_IDENTITY_PATH = '/.well-known/lnmp';

export function lnmpIdentityRoute(document: () => IdentityDocument | undefined): Route {
  return {
    path: LNMP_IDENTITY_PATH,
    methods: {
      GET: () => {
        const doc = document();
        return doc ? jsonResponse(200, doc, { 'access-control-allow-origin': '*' }) : errorResponse('not_ready');
      },
    },
  };
}
