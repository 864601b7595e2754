// GET /.well-known/lnmp: the gateway's signed LNMP identity document (the `_lnmp` DNS record
// points here). Until the gateway has loaded its identity at start-up the answer is 503.
// GET /.well-known/lnmp/users/:domain/:username: a user's document, signed by the user's key
// (services/lnmp-directory.ts reads both); an unknown user is a plain 404.
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

/** Looks up a hosted user's stored document. */
export type UserDocuments = (domain: string, username: string) => Promise<IdentityDocument | undefined>;

// The shapes of a DNS name and of an LNMP username; anything else is not found.
const DOMAIN_PATTERN = /^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$/i;
const USERNAME_PATTERN = /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/i;

export function lnmpUserRoute(documents: UserDocuments): Route {
  return {
    path: `${LNMP_IDENTITY_PATH}/users/:domain/:username`,
    params: { domain: DOMAIN_PATTERN, username: USERNAME_PATTERN },
    methods: {
      GET: async (request) => {
        const doc = await documents(request.params['domain'] ?? '', request.params['username'] ?? '');
        return doc ? jsonResponse(200, doc, { 'access-control-allow-origin': '*', 'cache-control': 'max-age=300' }) : errorResponse('not_found');
      },
    },
  };
}
