// What every JMAP method gets: the services, the logged-in account and its JMAP id.
import type { BlobService } from '../../services/blob-service.js';
import type { MailboxService } from '../../services/mailbox-service.js';
import type { EmailSubmissionService } from '../../services/email-submission-service.js';
import type { IdentityService } from '../../services/identity-service.js';
import type { MessageService } from '../../services/message-service.js';
import type { VacationService } from '../../services/vacation-service.js';
import type { UnlockedAccount } from '../../services/unlocked-account.js';
import { MethodError } from './errors.js';
import type { JmapPostageServices } from './postage-objects.js';

export interface JmapServices {
  readonly mailboxes: Pick<MailboxService, 'list' | 'create' | 'rename' | 'delete' | 'setSubscribed'>;
  readonly messages: Pick<
    MessageService,
    'list' | 'changesSince' | 'store' | 'copy' | 'emailRows' | 'emailPage' | 'searchDocuments' | 'readBlob' | 'emailChangesSince' | 'removeBlobs' | 'append' | 'rewrapArrivals' | 'readSummaries'
  >;
  /** Uploads and every other blob of the account: `blobs.read(account, blobId)` gives a blob's bytes. */
  readonly blobs: Pick<BlobService, 'read' | 'sizes' | 'importMessage' | 'upload'>;
  /** Identities, EmailSubmission and the vacation response; without them only the default identity is served. */
  readonly submission?: () => JmapSubmissionServices | undefined;
  /** Postage cases, the postage policy and contacts (postage-objects.ts); absent until the gateway's postage runs. */
  readonly postage?: () => JmapPostageServices | undefined;
}

export interface JmapSubmissionServices {
  readonly identities: Pick<IdentityService, 'list' | 'create' | 'update' | 'destroy' | 'changesSince'>;
  readonly submissions: Pick<EmailSubmissionService, 'send' | 'record' | 'list' | 'destroy' | 'changesSince'>;
  readonly vacation: Pick<VacationService, 'get' | 'set'>;
}

export interface MethodContext extends JmapServices {
  readonly account: UnlockedAccount;
  readonly accountId: string;
  /** Creation ids of this request and the ids they became (RFC 8620 §5.3), for `#creationId` references. */
  readonly createdIds: Map<string, string>;
  /** The request's `using`: capabilities that change what a method returns (the Email `postage` property). */
  readonly using?: ReadonlySet<string>;
}

/** The account's current modseq (its state): changesSince with nothing newer to report. */
export async function currentModseq(ctx: MethodContext): Promise<number> {
  return (await ctx.messages.changesSince(ctx.account, Number.MAX_SAFE_INTEGER)).modseq;
}

/** The submission services. @throws MethodError forbidden where the gateway does not send mail. */
export function submissionOf(ctx: MethodContext): JmapSubmissionServices {
  const services = ctx.submission?.();
  if (!services) throw new MethodError('forbidden', 'this server does not send mail');
  return services;
}

/** The id a `#creationId` of this request stands for (RFC 8620 §5.3), other ids unchanged; undefined for an unknown creation id. */
export function resolveCreationId(ctx: MethodContext, id: string): string | undefined {
  return id.startsWith('#') ? ctx.createdIds.get(id.slice(1)) : id;
}
