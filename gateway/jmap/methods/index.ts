// Every JMAP method the server answers, by name.
import type { JmapMethod } from '../method.js';
import { coreEcho } from './core-echo.js';
import { emailChanges } from './email-changes.js';
import { emailGet } from './email-get.js';
import { emailQuery } from './email-query.js';
import { emailSet } from './email-set.js';
import { mailboxChanges } from './mailbox-changes.js';
import { mailboxGet } from './mailbox-get.js';

export const METHODS: ReadonlyMap<string, JmapMethod> = new Map(
  [coreEcho, mailboxGet, mailboxChanges, emailQuery, emailGet, emailSet, emailChanges].map((m) => [m.name, m]),
);
