// Identity/set (RFC 8621 §6.3): identities for the user's own addresses (primary, alias or
// LNMP address; any other is forbiddenFrom), with name, replyTo, bcc and signatures. The
// email of an identity cannot change; the default identity can be changed, not destroyed.
import { z } from 'zod';
import { isServiceError } from '../../../services/errors.js';
import type { IdentityFields, IdentityPatch } from '../../../services/identity-service.js';
import { SUBMISSION } from '../capabilities.js';
import { currentModseq, submissionOf } from '../context.js';
import type { SetError } from '../errors.js';
import { addedIdentityIdOf, identityIdOf, parseAddedIdentityId } from '../ids.js';
import { defineMethod } from '../method.js';
import { stateOf } from '../state.js';
import { attemptSet, checkSet, parseObject, SetArgs, SetRefused, setResult } from './set-args.js';

const Address = z.strictObject({ name: z.string().nullable(), email: z.string().min(3).max(255) });
const Fields = z.strictObject({
  name: z.string().max(255),
  replyTo: z.array(Address).nullable(),
  bcc: z.array(Address).nullable(),
  textSignature: z.string().max(10_000),
  htmlSignature: z.string().max(100_000),
});
const Create = Fields.partial().extend({ email: z.string().min(3).max(255), id: z.never().optional(), mayDelete: z.never().optional() });
const Update = Fields.partial();

export const identitySet = defineMethod('Identity/set', SUBMISSION, SetArgs, async (args, ctx) => {
  const { identities } = submissionOf(ctx);
  const oldState = stateOf(await currentModseq(ctx));
  checkSet(args, oldState);
  const defaultId = identityIdOf(ctx.account.userId);
  const idOf = (id: string): number | 'default' => {
    if (id === defaultId) return 'default';
    const rowId = parseAddedIdentityId(id);
    if (rowId === undefined) throw new SetRefused({ type: 'notFound' });
    return rowId;
  };

  const created: Record<string, Record<string, unknown>> = {};
  const notCreated: Record<string, SetError> = {};
  for (const [creationId, object] of Object.entries(args.create ?? {})) {
    await attemptSet(notCreated, creationId, async () => {
      const input = parseObject(Create, object);
      const fields: IdentityFields = { name: input.name ?? '', email: input.email, replyTo: input.replyTo ?? null, bcc: input.bcc ?? null, textSignature: input.textSignature ?? '', htmlSignature: input.htmlSignature ?? '' };
      try {
        const id = addedIdentityIdOf(await identities.create(ctx.account, fields));
        created[creationId] = { id, mayDelete: true, name: fields.name, replyTo: fields.replyTo, bcc: fields.bcc, textSignature: fields.textSignature, htmlSignature: fields.htmlSignature };
        ctx.createdIds.set(creationId, id);
      } catch (err) {
        if (isServiceError(err, 'sender_not_owned')) throw new SetRefused({ type: 'forbiddenFrom', description: err.message });
        throw err;
      }
    });
  }

  const updated: Record<string, null> = {};
  const notUpdated: Record<string, SetError> = {};
  for (const [id, patch] of Object.entries(args.update ?? {})) {
    await attemptSet(notUpdated, id, async () => {
      if ('email' in patch) throw new SetRefused({ type: 'invalidProperties', properties: ['email'], description: 'the email of an identity cannot change' });
      await identities.update(ctx.account, idOf(id), parseObject(Update, patch) as IdentityPatch);
      updated[id] = null;
    });
  }

  const destroyed: string[] = [];
  const notDestroyed: Record<string, SetError> = {};
  for (const id of new Set(args.destroy ?? [])) {
    await attemptSet(notDestroyed, id, async () => {
      const rowId = idOf(id);
      if (rowId === 'default') throw new SetRefused({ type: 'forbidden', description: 'the default identity cannot be destroyed' });
      if (!(await identities.destroy(ctx.account, rowId))) throw new SetRefused({ type: 'notFound' });
      destroyed.push(id);
    });
  }

  return { accountId: ctx.accountId, oldState, newState: stateOf(await currentModseq(ctx)), ...setResult({ created, updated, destroyed, notCreated, notUpdated, notDestroyed }) };
});
