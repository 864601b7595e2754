// Every JMAP method the server answers, by name.
import type { JmapMethod } from '../method.js';
import { blobCopy } from './blob-copy.js';
import { coreEcho } from './core-echo.js';
import { emailChanges } from './email-changes.js';
import { emailCopy } from './email-copy.js';
import { emailGet } from './email-get.js';
import { emailImport } from './email-import.js';
import { emailParse } from './email-parse.js';
import { emailQuery } from './email-query.js';
import { emailQueryChanges } from './email-query-changes.js';
import { emailSet } from './email-set.js';
import { identityChanges } from './identity-changes.js';
import { identityGet } from './identity-get.js';
import { identitySet } from './identity-set.js';
import { emailSubmissionChanges } from './email-submission-changes.js';
import { emailSubmissionGet } from './email-submission-get.js';
import { emailSubmissionQuery } from './email-submission-query.js';
import { emailSubmissionQueryChanges } from './email-submission-query-changes.js';
import { emailSubmissionSet } from './email-submission-set.js';
import { vacationResponseGet } from './vacation-response-get.js';
import { vacationResponseSet } from './vacation-response-set.js';
import { mailboxChanges } from './mailbox-changes.js';
import { mailboxGet } from './mailbox-get.js';
import { mailboxQuery } from './mailbox-query.js';
import { mailboxQueryChanges } from './mailbox-query-changes.js';
import { mailboxSet } from './mailbox-set.js';
import { threadChanges } from './thread-changes.js';
import { threadGet } from './thread-get.js';
import { searchSnippetGet } from './search-snippet-get.js';
import { contactGet } from './contact-get.js';
import { contactQuery } from './contact-query.js';
import { contactSet } from './contact-set.js';
import { postageChanges } from './postage-changes.js';
import { postageGet } from './postage-get.js';
import { postagePolicyGet } from './postage-policy-get.js';
import { postagePolicySet } from './postage-policy-set.js';
import { postageQuery } from './postage-query.js';
import { postageSet } from './postage-set.js';

export const METHODS: ReadonlyMap<string, JmapMethod> = new Map(
  [
    coreEcho, mailboxGet, mailboxChanges, mailboxQuery, mailboxQueryChanges, mailboxSet, threadGet, threadChanges, emailQuery, emailQueryChanges, emailGet, emailSet, emailChanges, identityGet, identityChanges, identitySet,
    emailSubmissionGet, emailSubmissionChanges, emailSubmissionQuery, emailSubmissionQueryChanges, emailSubmissionSet, vacationResponseGet, vacationResponseSet,
    blobCopy, emailImport, emailParse, emailCopy, searchSnippetGet,
    postageGet, postageChanges, postageQuery, postageSet, postagePolicyGet, postagePolicySet, contactGet, contactQuery, contactSet,
  ].map((m) => [m.name, m]),
);
