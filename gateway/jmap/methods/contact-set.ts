// Contact/set (docs/jmap-postage.md): create {address, class} (a contact the user already has
// for that address is alreadyExists, with its id), update {class}, destroy (the address is a
// stranger again). Classes: friend (free), acquaintance (the lower price), blocked.
import { z } from 'zod';
import { POSTAGE } from '../capabilities.js';
import type { SetError } from '../errors.js';
import { parseContactId } from '../ids.js';
import { defineMethod } from '../method.js';
import { postageOf } from '../postage-objects.js';
import { ContactAddress, contactIdFor, contactState } from './contact-get.js';
import { attemptSet, checkSet, parseObject, SetArgs, SetRefused, setResult } from './set-args.js';

const ContactClass = z.enum(['friend', 'acquaintance', 'blocked']);
const Create = z.strictObject({ address: ContactAddress, class: ContactClass });
const Update = z.strictObject({ class: ContactClass });

export const contactSet = defineMethod('Contact/set', POSTAGE, SetArgs, async (args, ctx) => {
  const { contacts } = postageOf(ctx);
  const userId = ctx.account.userId;
  const oldState = await contactState(ctx);
  checkSet(args, oldState);
  const hashOf = (id: string) => {
    const hash = parseContactId(id);
    if (!hash) throw new SetRefused({ type: 'notFound' });
    return hash;
  };

  const created: Record<string, Record<string, unknown>> = {};
  const notCreated: Record<string, SetError> = {};
  for (const [creationId, object] of Object.entries(args.create ?? {})) {
    await attemptSet(notCreated, creationId, async () => {
      const input = parseObject(Create, object);
      const id = contactIdFor(ctx, input.address);
      if (!(await contacts.add(userId, input.address, input.class))) throw new SetRefused({ type: 'alreadyExists', existingId: id, description: 'there is a contact for this address' });
      created[creationId] = { id };
      ctx.createdIds.set(creationId, id);
    });
  }

  const updated: Record<string, null> = {};
  const notUpdated: Record<string, SetError> = {};
  for (const [id, patch] of Object.entries(args.update ?? {})) {
    await attemptSet(notUpdated, id, async () => {
      const hash = hashOf(id);
      if (!(await contacts.setByHash(userId, hash, parseObject(Update, patch).class))) throw new SetRefused({ type: 'notFound' });
      updated[id] = null;
    });
  }

  const destroyed: string[] = [];
  const notDestroyed: Record<string, SetError> = {};
  for (const id of new Set(args.destroy ?? [])) {
    await attemptSet(notDestroyed, id, async () => {
      if (!(await contacts.setByHash(userId, hashOf(id), undefined))) throw new SetRefused({ type: 'notFound' });
      destroyed.push(id);
    });
  }

  return { accountId: ctx.accountId, oldState, newState: await contactState(ctx), ...setResult({ created, updated, destroyed, notCreated, notUpdated, notDestroyed }) };
});
