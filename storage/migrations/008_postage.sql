-- 008: postage. Every message the postage gate sends to the Screener opens a case in
-- `postage` (001): `screened` when no invoice is asked for (the sender is not eligible for
-- an auto-reply), `pending` until the invoice exists and the auto-reply is queued, then the
-- hold invoice's states. The case follows the message by its blob, which moves and copies
-- keep. What the auto-reply and the pay page need (sender, subject, the preimage) is sealed
-- under a gateway-secret key, so the worker can act while the user is away.
ALTER TABLE postage DROP CONSTRAINT postage_state_check;
ALTER TABLE postage ADD CONSTRAINT postage_state_check
  CHECK (state IN ('screened', 'pending', 'open', 'held', 'settled', 'canceled', 'expired', 'approved'));
ALTER TABLE postage ALTER COLUMN payment_hash DROP NOT NULL;
ALTER TABLE postage ALTER COLUMN bolt11 DROP NOT NULL;
-- The pay page's address: random, unguessable, never the row id.
ALTER TABLE postage ADD COLUMN public_id text;
ALTER TABLE postage ADD COLUMN blob_id bigint REFERENCES blobs(id) ON DELETE SET NULL;
-- Sealed JSON: sender, reply address, subject, Message-ID/References, preimage.
ALTER TABLE postage ADD COLUMN details bytea;
ALTER TABLE postage ADD COLUMN priority boolean NOT NULL DEFAULT false;
ALTER TABLE postage ADD COLUMN expires_at timestamptz;
ALTER TABLE postage ADD COLUMN attempts integer NOT NULL DEFAULT 0;
ALTER TABLE postage ADD COLUMN next_attempt timestamptz NOT NULL DEFAULT now();
ALTER TABLE postage ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
CREATE UNIQUE INDEX postage_public_id ON postage (public_id) WHERE public_id IS NOT NULL;
-- The worker: cases that need an invoice, and cases still waiting on the recipient or a payment.
CREATE INDEX postage_pending ON postage (next_attempt) WHERE state = 'pending';
CREATE INDEX postage_active ON postage (user_id) WHERE state IN ('screened', 'open', 'held');
CREATE INDEX postage_blob ON postage (blob_id);

-- Every state change of a case, for audit: who or what moved it and why.
CREATE TABLE postage_events (
  id          bigserial PRIMARY KEY,
  postage_id  bigint NOT NULL REFERENCES postage(id) ON DELETE CASCADE,
  at          timestamptz NOT NULL DEFAULT now(),
  state       text NOT NULL,
  reason      text NOT NULL
);
CREATE INDEX postage_events_case ON postage_events (postage_id, id);

-- At most one auto-reply per sender per recipient per window; the sender as a keyed hash.
CREATE TABLE postage_auto_replies (
  user_id      bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  sender_hash  bytea NOT NULL,
  sent_at      timestamptz NOT NULL,
  PRIMARY KEY (user_id, sender_hash)
);

-- A user's prices and choices; a NULL column means the gateway's configured default.
CREATE TABLE postage_policies (
  user_id            bigint PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  stranger_sats      bigint CHECK (stranger_sats >= 0),
  acquaintance_sats  bigint CHECK (acquaintance_sats >= 0),
  priority_sats      bigint CHECK (priority_sats > 0),
  surge_unread       integer CHECK (surge_unread > 0),
  refund_on_reply    boolean,
  auto_reply         boolean,
  updated_at         timestamptz NOT NULL DEFAULT now()
);

-- The dev Lightning backend's node key, wrapped under a gateway-secret key.
CREATE TABLE dev_lightning_node (
  id       integer PRIMARY KEY CHECK (id = 1),
  wrapped  bytea NOT NULL
);

-- LNMP-native postage (services/lnmp-postage.ts): hold invoices bound to (sender key,
-- recipient key, payload digest); a payment is accepted for one message once (used_at).
CREATE TABLE lnmp_postage (
  payment_hash  text PRIMARY KEY CHECK (payment_hash ~ '^[0-9a-f]{64}$'),
  user_id       bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  -- sha256 of the bound description (core/payment.ts postageDescription).
  binding_hash  text NOT NULL,
  amount_sats   bigint NOT NULL CHECK (amount_sats > 0),
  -- The preimage, sealed under the gateway subkey `postage`.
  preimage      bytea NOT NULL,
  created_at    timestamptz NOT NULL,
  used_at       timestamptz
);
