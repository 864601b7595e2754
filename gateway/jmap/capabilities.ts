// The capabilities this server offers (RFC 8620 §2, RFC 8621 §1.3), as the session resource
// shows them and as `using` is checked against.
import { SORT_PROPERTIES } from './email-sort.js';
import { COLLATION_ALGORITHMS, MAX_CALLS_IN_REQUEST, MAX_CONCURRENT_REQUESTS, MAX_CONCURRENT_UPLOAD, MAX_OBJECTS_IN_GET, MAX_OBJECTS_IN_SET, MAX_SIZE_REQUEST, MAX_SIZE_UPLOAD } from './limits.js';

export const CORE = 'urn:ietf:params:jmap:core';
export const MAIL = 'urn:ietf:params:jmap:mail';
/** RFC 8621 §1.3.2: Identity and EmailSubmission (sent at once: no delayed sending). */
export const SUBMISSION = 'urn:ietf:params:jmap:submission';
/** RFC 8621 §1.3.3: VacationResponse/get and /set. */
export const VACATION_RESPONSE = 'urn:ietf:params:jmap:vacationresponse';

/** RFC 8887: JMAP over WebSocket, with push; the session names its URL. It has no methods. */
export const WEBSOCKET = 'urn:ietf:params:jmap:websocket';

/** This gateway's postage cases, postage policy and contacts (docs/jmap-postage.md). */
export const POSTAGE = 'urn:lnmp:params:jmap:postage';

export const KNOWN_CAPABILITIES: ReadonlySet<string> = new Set([CORE, MAIL, SUBMISSION, VACATION_RESPONSE, WEBSOCKET, POSTAGE]);

export const CORE_CAPABILITY = {
  maxSizeUpload: MAX_SIZE_UPLOAD,
  maxConcurrentUpload: MAX_CONCURRENT_UPLOAD,
  maxSizeRequest: MAX_SIZE_REQUEST,
  maxConcurrentRequests: MAX_CONCURRENT_REQUESTS,
  maxCallsInRequest: MAX_CALLS_IN_REQUEST,
  maxObjectsInGet: MAX_OBJECTS_IN_GET,
  maxObjectsInSet: MAX_OBJECTS_IN_SET,
  collationAlgorithms: COLLATION_ALGORITHMS,
} as const;

/** The mail capability's account properties (RFC 8621 §1.3.1). */
export const MAIL_ACCOUNT_CAPABILITY = {
  /** An Email (a blob, see ids.ts) is in as many mailboxes as hold a copy of it. */
  maxMailboxesPerEmail: null,
  maxMailboxDepth: null,
  maxSizeMailboxName: 255,
  maxSizeAttachmentsPerEmail: MAX_SIZE_UPLOAD,
  emailQuerySortOptions: SORT_PROPERTIES,
  mayCreateTopLevelMailbox: true,
} as const;

/** The submission capability's account properties (RFC 8621 §1.3.2): no delayed sending, no extensions. */
export const SUBMISSION_ACCOUNT_CAPABILITY = {
  maxDelayedSend: 0,
  submissionExtensions: {},
} as const;

/** The postage capability's account properties (docs/jmap-postage.md): prices are whole satoshis; contacts are looked up one address at a time, never listed. */
export const POSTAGE_ACCOUNT_CAPABILITY = {
  pricesIn: 'sat',
  contactClasses: ['friend', 'acquaintance', 'blocked'],
  contactsListable: false,
} as const;
