// A user's LNMP identity document: the user's LNMP address, the features this gateway serves
// for it and the default pricing, signed by the user's own key. Its relays are left empty: the
// gateway's document names them (services/lnmp-directory.ts falls back to it), so moving the
// relay does not need every user's key. Signed whenever the key is at hand: at creation and,
// for an account without one, at the next unlock.
import { createIdentityDocument, DEFAULT_PRICING, type IdentityDocument, type Rng } from '../core/index.js';
import type { Queryable } from '../storage/db.js';

export const USER_FEATURES = ['text', 'postage'] as const;

export function userIdentityDocument(privateKey: Uint8Array, lnmpAddress: string, nowMs: number, rng: Rng): IdentityDocument {
  return createIdentityDocument(privateKey, { addresses: [lnmpAddress], features: [...USER_FEATURES], relays: [], pricing: DEFAULT_PRICING, proofs: [], updatedAt: Math.floor(nowMs / 1000) }, rng);
}

/** Signs and stores the document of an unlocked account that has none yet. */
export async function signMissingDocument(q: Queryable, account: { userId: number; lnmpAddress: string; privateKey: Uint8Array }, nowMs: number, rng: Rng): Promise<void> {
  const [row] = await q.query<{ missing: boolean }>('SELECT identity_document IS NULL AS missing FROM users WHERE id = $1', [account.userId]);
  if (!row?.missing) return;
  const doc = userIdentityDocument(account.privateKey, account.lnmpAddress, nowMs, rng);
  await q.query('UPDATE users SET identity_document = $2::jsonb WHERE id = $1 AND identity_document IS NULL', [account.userId, JSON.stringify(doc)]);
}

/** The stored document of the user `username@domain`, if any. */
export async function findUserDocument(q: Queryable, domain: string, username: string): Promise<IdentityDocument | undefined> {
  const [row] = await q.query<{ identity_document: IdentityDocument | string | null }>(
    "SELECT u.identity_document FROM users u JOIN domains d ON d.id = u.domain_id WHERE d.name = $1 AND u.username = $2 AND u.status = 'active'",
    [domain.toLowerCase(), username.toLowerCase()],
  );
  const doc = row?.identity_document;
  if (doc === null || doc === undefined) return undefined;
  return typeof doc === 'string' ? (JSON.parse(doc) as IdentityDocument) : doc;
}
