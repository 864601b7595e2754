// The JMAP objects of urn:lnmp:params:jmap:postage (docs/jmap-postage.md): the services its
// methods call, Postage objects and the Email `postage` property made of a case, and the
// states of the three types.
import type { ContactService } from '../../services/contact-service.js';
import type { CaseView } from '../../services/postage-cases.js';
import type { PostageService } from '../../services/postage-service.js';
import { POSTAGE } from './capabilities.js';
import type { MethodContext } from './context.js';
import { utcDate } from './email-content.js';
import { MethodError } from './errors.js';
import { emailIdOf, postageIdOf } from './ids.js';

export interface JmapPostageServices {
  readonly postage: Pick<PostageService, 'caseViews' | 'caseIds' | 'casesVersion' | 'decideCase' | 'policy' | 'setPolicy'>;
  readonly contacts: Pick<ContactService, 'hashOf' | 'add' | 'classesOf' | 'setByHash' | 'version'>;
}

/** The postage services. @throws MethodError forbidden where the gateway runs no postage. */
export function postageOf(ctx: MethodContext): JmapPostageServices {
  const services = ctx.postage?.();
  if (!services) throw new MethodError('forbidden', 'this server runs no postage');
  return services;
}

/** Whether the request uses the postage capability and the gateway serves it. */
export function usesPostage(ctx: MethodContext): boolean {
  return ctx.using?.has(POSTAGE) === true && ctx.postage?.() !== undefined;
}

/** The Postage properties, in the order they are returned. */
export const POSTAGE_PROPERTIES = ['id', 'emailId', 'state', 'amountSats', 'priority', 'createdAt', 'expiresAt', 'settleBy', 'payUrl', 'sender'] as const;

const date = (d: Date | undefined): string | null => (d === undefined ? null : utcDate(d));

/** A case as a Postage object. */
export function postageObject(c: CaseView): Record<string, unknown> {
  return {
    id: postageIdOf(c.id),
    emailId: c.blobId === undefined ? null : emailIdOf(c.blobId),
    ...caseFields(c),
    createdAt: utcDate(c.createdAt),
    sender: c.sender ?? null,
  };
}

/** The Email `postage` property of a case: what the message's reader needs, without the sender. */
export function emailPostage(c: CaseView): Record<string, unknown> {
  return { caseId: postageIdOf(c.id), ...caseFields(c) };
}

function caseFields(c: CaseView): Record<string, unknown> {
  return { state: c.state, amountSats: c.amountSats, priority: c.priority, expiresAt: date(c.expiresAt), settleBy: date(c.settleBy), payUrl: c.payUrl ?? null };
}

/** The state of the account's Postage objects: it changes with every recorded change of a case. */
export async function postageState(ctx: MethodContext): Promise<string> {
  return String(await postageOf(ctx).postage.casesVersion(ctx.account.userId));
}

/** The Email `postage` property of some Emails (by blob id): their newest case each, in one query; absent for Emails without one. */
export async function emailPostageOf(ctx: MethodContext, blobIds: readonly number[]): Promise<Map<number, Record<string, unknown>>> {
  if (blobIds.length === 0) return new Map();
  const cases = await postageOf(ctx).postage.caseViews(ctx.account.userId, { blobIds, latestPerBlob: true, withoutDetails: true });
  return new Map(cases.map((c) => [c.blobId!, emailPostage(c)]));
}
