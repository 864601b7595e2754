// The session resource (RFC 8620 §2) of a logged-in user: capabilities with their limits,
// the one account, and absolute URLs built from the configured base URL (not from the
// request's Host header, which the client controls), the WebSocket one included. Its `state`
// is a hash of the rest, so it changes exactly when the resource does.
import { createHash } from 'node:crypto';
import type { AccountInfo } from '../../services/unlocked-account.js';
import { CORE, CORE_CAPABILITY, MAIL, MAIL_ACCOUNT_CAPABILITY, POSTAGE, POSTAGE_ACCOUNT_CAPABILITY, SUBMISSION, SUBMISSION_ACCOUNT_CAPABILITY, VACATION_RESPONSE, WEBSOCKET } from './capabilities.js';
import type { JmapServices } from './context.js';
import { accountIdOf } from './ids.js';

export const JMAP_PATHS = {
  session: '/.well-known/jmap',
  api: '/jmap/api',
  download: '/jmap/download/{accountId}/{blobId}/{name}?type={type}',
  upload: '/jmap/upload/{accountId}/',
  eventSource: '/jmap/eventsource?types={types}&closeafter={closeafter}&ping={ping}',
  webSocket: '/jmap/ws',
} as const;

/** The router's path for JMAP_PATHS.download (its query string is read by the route). */
export const DOWNLOAD_ROUTE = '/jmap/download/:accountId/:blobId/:name';
/** The router's path for JMAP_PATHS.upload (upload.ts); the one without the final slash is served too. */
export const UPLOAD_ROUTE = '/jmap/upload/:accountId/';
/** The router's path for JMAP_PATHS.eventSource (eventsource.ts reads the query string). */
export const EVENT_SOURCE_ROUTE = '/jmap/eventsource';

/** Capabilities offered only while their services run. */
export interface SessionOffers {
  readonly postage?: boolean;
}

export const offersOf = (services: Pick<JmapServices, 'postage'>): SessionOffers => ({ postage: services.postage?.() !== undefined });

export function sessionResource(baseUrl: string, account: AccountInfo, offers: SessionOffers = {}): Record<string, unknown> {
  const base = baseUrl.replace(/\/+$/, '');
  const accountId = accountIdOf(account.userId);
  // The WebSocket URL is the same listener's, ws: for http: and wss: for https:.
  const webSocketUrl = `${base.replace(/^http/i, 'ws')}${JMAP_PATHS.webSocket}`;
  const session = {
    capabilities: { [CORE]: CORE_CAPABILITY, [MAIL]: {}, [SUBMISSION]: {}, [VACATION_RESPONSE]: {}, [WEBSOCKET]: { url: webSocketUrl, supportsPush: true }, ...(offers.postage ? { [POSTAGE]: {} } : {}) },
    accounts: {
      [accountId]: { name: account.address, isPersonal: true, isReadOnly: false, accountCapabilities: { [MAIL]: MAIL_ACCOUNT_CAPABILITY, [SUBMISSION]: SUBMISSION_ACCOUNT_CAPABILITY, [VACATION_RESPONSE]: {}, ...(offers.postage ? { [POSTAGE]: POSTAGE_ACCOUNT_CAPABILITY } : {}) } },
    },
    primaryAccounts: { [MAIL]: accountId, [SUBMISSION]: accountId, [VACATION_RESPONSE]: accountId, ...(offers.postage ? { [POSTAGE]: accountId } : {}) },
    username: account.address,
    apiUrl: `${base}${JMAP_PATHS.api}`,
    downloadUrl: `${base}${JMAP_PATHS.download}`,
    uploadUrl: `${base}${JMAP_PATHS.upload}`,
    eventSourceUrl: `${base}${JMAP_PATHS.eventSource}`,
  };
  return { ...session, state: sessionStateOf(session) };
}

export function sessionStateOf(session: unknown): string {
  return createHash('sha256').update(JSON.stringify(session)).digest('hex').slice(0, 16);
}
