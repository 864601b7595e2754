// Every JMAP method the server answers, by name.
import type { JmapMethod } from '../method.js';
import { coreEcho } from './core-echo.js';
import { emailChanges } from './email-changes.js';
import { emailGet } from './email-get.js';
import { emailQuery } from './email-query.js';
import { emailSet } from './email-set.js';
import { identityChanges } from './identity-changes.js';
import { identityGet } from './identity-get.js';
import { mailboxChanges } from './mailbox-changes.js';
import { mailboxGet } from './mailbox-get.js';
import { mailboxQuery } from './mailbox-query.js';
import { mailboxQueryChanges } from './mailbox-query-changes.js';
import { threadChanges } from './thread-changes.js';
import { threadGet } from './thread-get.js';

export const METHODS: ReadonlyMap<string, JmapMethod> = new Map(
  [
    coreEcho, mailboxGet, mailboxChanges, mailboxQuery, mailboxQueryChanges, threadGet, threadChanges, emailQuery, emailGet, emailSet, emailChanges, identityGet, identityChanges,
  ].map((m) => [m.name, m]),
);
