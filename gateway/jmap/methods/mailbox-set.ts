// Mailbox/set (RFC 8621 §2.5) over the mailbox service, so IMAP sees the same folders. A JMAP
// name is one level of the IMAP "/"-separated path (mailbox-get.ts): creating under a parentId
// or moving a Mailbox is naming it under its parent's path; renaming or moving renames its
// children with it. Roles are the six JMAP roles, one mailbox each (every account has them, so
// a create with a role is refused as taken); sortOrder is not stored (it follows the role), so
// only the value it has is accepted. A new Mailbox is subscribed unless isSubscribed says
// otherwise, as an IMAP-created one is. Destroy refuses role mailboxes (forbidden), a Mailbox with
// children (mailboxHasChild) and one with Emails unless onDestroyRemoveEmails (mailboxHasEmail).
import { z } from 'zod';
import { isServiceError } from '../../../services/errors.js';
import { HIERARCHY_SEPARATOR, MAX_MAILBOX_NAME_CHARS, type MailboxRole } from '../../../services/mailbox-names.js';
import type { MailboxInfo } from '../../../services/mailbox-service.js';
import { MAIL } from '../capabilities.js';
import { currentModseq, resolveCreationId, type MethodContext } from '../context.js';
import type { SetError } from '../errors.js';
import { mailboxIdOf, parseMailboxId } from '../ids.js';
import { defineMethod } from '../method.js';
import { stateOf } from '../state.js';
import { JMAP_ROLES, rightsOf, roleOf, sortOrderOf, tree } from './mailbox-get.js';
import { UnsignedInt } from './args.js';
import { attemptSet, checkSet, parseObject, SetArgs, SetRefused, setResult } from './set-args.js';

const Name = z.string().min(1).max(MAX_MAILBOX_NAME_CHARS).refine((n) => !n.includes(HIERARCHY_SEPARATOR), `a name cannot contain "${HIERARCHY_SEPARATOR}"`);
const Fields = z.strictObject({
  name: Name,
  parentId: z.string().nullable(),
  role: z.string().nullable(),
  sortOrder: UnsignedInt,
  isSubscribed: z.boolean(),
});
const Create = Fields.partial().extend({ name: Name });
const Update = Fields.partial();
type Patch = z.infer<typeof Update>;

const Args = SetArgs.extend({ onDestroyRemoveEmails: z.boolean().optional() });

export const mailboxSet = defineMethod('Mailbox/set', MAIL, Args, async (args, ctx) => {
  const oldState = stateOf(await currentModseq(ctx));
  checkSet(args, oldState);
  const known = new Tree(ctx);
  await known.load();
  const destroying = new Set((args.destroy ?? []).map((id) => resolveCreationId(ctx, id) ?? id));

  const created: Record<string, Record<string, unknown>> = {};
  const notCreated: Record<string, SetError> = {};
  // A create naming a parent created later in the same call waits for it.
  let pending = Object.entries(args.create ?? {});
  while (pending.length > 0) {
    const ready = pending.filter(([, object]) => !waitsForCreation(object['parentId'], pending));
    const next = ready.length > 0 ? ready : pending;
    for (const [creationId, object] of next) {
      await attemptSet(notCreated, creationId, async () => {
        const input = parseObject(Create, object);
        const mb = await createOne(ctx, known, input);
        ctx.createdIds.set(creationId, mailboxIdOf(mb.id));
        created[creationId] = createdObject(mb, input);
      });
    }
    pending = pending.filter((p) => !next.includes(p));
  }

  const updated: Record<string, null> = {};
  const notUpdated: Record<string, SetError> = {};
  for (const [id, patch] of Object.entries(args.update ?? {})) {
    await attemptSet(notUpdated, id, async () => {
      const mb = known.find(resolveCreationId(ctx, id));
      if (destroying.has(mailboxIdOf(mb.id))) throw new SetRefused({ type: 'willDestroy' });
      await updateOne(ctx, known, mb, parseObject(Update, patch));
      updated[id] = null;
    });
  }

  const destroyed: string[] = [];
  const notDestroyed: Record<string, SetError> = {};
  // Children before their parents, so a parent destroyed with its children goes too.
  const order = [...new Set(args.destroy ?? [])].map((id) => ({ id, depth: known.depthOf(resolveCreationId(ctx, id)) })).sort((a, b) => b.depth - a.depth);
  for (const { id } of order) {
    await attemptSet(notDestroyed, id, async () => {
      await destroyOne(ctx, known, known.find(resolveCreationId(ctx, id)), args.onDestroyRemoveEmails === true);
      destroyed.push(id);
    });
  }

  return { accountId: ctx.accountId, oldState, newState: stateOf(await currentModseq(ctx)), ...setResult({ created, updated, destroyed, notCreated, notUpdated, notDestroyed }) };
});

function waitsForCreation(parentId: unknown, pending: ReadonlyArray<[string, unknown]>): boolean {
  return typeof parentId === 'string' && parentId.startsWith('#') && pending.some(([creationId]) => `#${creationId}` === parentId);
}

async function createOne(ctx: MethodContext, known: Tree, input: z.infer<typeof Create>): Promise<MailboxInfo> {
  const role = roleIn(input.role ?? null);
  checkSortOrder(input.sortOrder, role);
  const parent = known.parentPath(input.parentId ?? null);
  const mb = await service(() => ctx.mailboxes.create(ctx.account, parent === null ? input.name : `${parent}${HIERARCHY_SEPARATOR}${input.name}`, {
    ...(role === null ? {} : { role }), ...(input.isSubscribed === undefined ? {} : { subscribed: input.isSubscribed }),
  }));
  await known.load();
  return mb;
}

/** The created object: its id and every property the client left to the server (RFC 8620 §5.3). */
function createdObject(mb: MailboxInfo, input: z.infer<typeof Create>): Record<string, unknown> {
  const defaults: Record<string, unknown> = { parentId: null, role: null, sortOrder: sortOrderOf(mb.role), isSubscribed: mb.subscribed };
  const omitted = Object.fromEntries(Object.entries(defaults).filter(([k]) => (input as Record<string, unknown>)[k] === undefined));
  return { id: mailboxIdOf(mb.id), ...omitted, totalEmails: 0, unreadEmails: 0, totalThreads: 0, unreadThreads: 0, myRights: rightsOf(mb.role) };
}

async function updateOne(ctx: MethodContext, known: Tree, mb: MailboxInfo, patch: Patch): Promise<void> {
  if (patch.role !== undefined && patch.role !== roleOf(mb.role)) throw invalid('role', 'the role of a mailbox cannot change');
  checkSortOrder(patch.sortOrder, mb.role);
  if (patch.name !== undefined || patch.parentId !== undefined) {
    const current = known.view(mb);
    const parent = patch.parentId === undefined ? known.parentPath(current.parentId) : known.parentPath(patch.parentId);
    if (parent !== null && (parent === mb.name || parent.startsWith(`${mb.name}${HIERARCHY_SEPARATOR}`))) throw invalid('parentId', 'a mailbox cannot move under itself');
    const leaf = patch.name ?? current.name;
    const name = parent === null ? leaf : `${parent}${HIERARCHY_SEPARATOR}${leaf}`;
    if (name !== mb.name) {
      await service(() => ctx.mailboxes.rename(ctx.account, mb.id, name));
      await known.load();
    }
  }
  if (patch.isSubscribed !== undefined && patch.isSubscribed !== mb.subscribed) await service(() => ctx.mailboxes.setSubscribed(ctx.account, mb.id, patch.isSubscribed!));
}

async function destroyOne(ctx: MethodContext, known: Tree, mb: MailboxInfo, removeEmails: boolean): Promise<void> {
  if (mb.role !== null) throw new SetRefused({ type: 'forbidden', description: `the ${mb.name} mailbox has a role and cannot be destroyed` });
  if (known.hasChild(mb)) throw new SetRefused({ type: 'mailboxHasChild', description: `${mb.name} has child mailboxes` });
  if (mb.messages > 0 && !removeEmails) throw new SetRefused({ type: 'mailboxHasEmail', description: `${mb.name} holds ${mb.messages === 1 ? 'a message' : `${mb.messages} messages`}; destroy with onDestroyRemoveEmails to remove them` });
  await service(() => ctx.mailboxes.delete(ctx.account, mb.id, { onlyIfEmpty: !removeEmails }));
  await known.load();
}

function roleIn(role: string | null): MailboxRole | null {
  if (role === null) return null;
  if (!JMAP_ROLES.has(role as MailboxRole)) throw invalid('role', `${role} is not a role this server supports (${[...JMAP_ROLES].join(', ')})`);
  return role as MailboxRole;
}

function checkSortOrder(sortOrder: number | undefined, role: MailboxRole | null): void {
  if (sortOrder !== undefined && sortOrder !== sortOrderOf(role)) throw invalid('sortOrder', `sortOrder is not stored: it follows the role, ${sortOrderOf(role)} for this mailbox`);
}

function invalid(property: string, description: string): SetRefused {
  return new SetRefused({ type: 'invalidProperties', properties: [property], description });
}

/** Runs a mailbox service call, its refusals as SetErrors. */
async function service<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (isServiceError(err, 'mailbox_exists') || isServiceError(err, 'invalid_mailbox_name')) throw invalid('name', err.message);
    if (isServiceError(err, 'mailbox_role_taken')) throw invalid('role', err.message);
    if (isServiceError(err, 'mailbox_protected')) throw new SetRefused({ type: 'forbidden', description: err.message });
    if (isServiceError(err, 'mailbox_not_empty')) throw new SetRefused({ type: 'mailboxHasEmail', description: err.message });
    throw err;
  }
}

/** The account's mailboxes as JMAP sees them, read again after each change. */
class Tree {
  #all: MailboxInfo[] = [];
  #byId = new Map<string, MailboxInfo>();
  #byName = new Map<string, MailboxInfo>();

  constructor(private readonly ctx: MethodContext) {}

  async load(): Promise<void> {
    this.#all = await this.ctx.mailboxes.list(this.ctx.account);
    this.#byId = new Map(this.#all.map((m) => [mailboxIdOf(m.id), m]));
    this.#byName = new Map(this.#all.map((m) => [m.name, m]));
  }

  /** @throws SetRefused notFound */
  find(id: string | undefined): MailboxInfo {
    const mb = id === undefined || parseMailboxId(id) === undefined ? undefined : this.#byId.get(id);
    if (!mb) throw new SetRefused({ type: 'notFound' });
    return mb;
  }

  /** The IMAP path of a parentId (a creation id resolved), null for the top. @throws SetRefused invalidProperties */
  parentPath(parentId: string | null): string | null {
    if (parentId === null) return null;
    const mb = this.#byId.get(resolveCreationId(this.ctx, parentId) ?? '');
    if (!mb) throw invalid('parentId', `no mailbox ${parentId}`);
    return mb.name;
  }

  /** The JMAP name and parentId. */
  view(mb: MailboxInfo): { name: string; parentId: string | null } {
    return tree(mb, this.#byName);
  }

  hasChild(mb: MailboxInfo): boolean {
    return this.#all.some((m) => m.name.startsWith(`${mb.name}${HIERARCHY_SEPARATOR}`));
  }

  depthOf(id: string | undefined): number {
    const mb = id === undefined ? undefined : this.#byId.get(id);
    return mb ? mb.name.split(HIERARCHY_SEPARATOR).length : 0;
  }
}
