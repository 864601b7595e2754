-- 012: the LNMP network at the gateway.
-- Each user's identity document (core/identity.ts), signed by the user's key when the key was
-- last unwrapped (creation, import, login) and served at /.well-known/lnmp/users/<domain>/<name>.
-- It is public: addresses, features, pricing; the relays are the gateway's (its own document).
ALTER TABLE users ADD COLUMN identity_document jsonb;

-- LNMP envelopes received for a user (services/lnmp-inbound.ts): one delivery per envelope
-- id, whichever relay or retry brought it.
CREATE TABLE lnmp_received (
  user_id      bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  envelope_id  text NOT NULL CHECK (envelope_id ~ '^[0-9a-f]{64}$'),
  received_at  timestamptz NOT NULL,
  PRIMARY KEY (user_id, envelope_id)
);

-- seal = 4: an LNMP envelope received from another identity, stored as it arrived (JSON) and
-- sealed like seal 1 to the user's public key. Its MIME view (with Authentication-Results
-- lnmp=…) is made at unlock, when it is re-wrapped to seal 2 and its size becomes exact.
ALTER TABLE blobs DROP CONSTRAINT blobs_seal_check;
ALTER TABLE blobs ADD CONSTRAINT blobs_seal_check CHECK (seal IN (1, 2, 3, 4));
DROP INDEX blobs_pending;
-- Unlock re-wraps a user's blobs still sealed to the public key (seals 1, 3 and 4).
CREATE INDEX blobs_pending ON blobs (user_id, id) WHERE seal IN (1, 3, 4) AND NOT quarantined;

-- JMAP Email/query pages by received date (MessageService.emailPage): in one mailbox, and
-- across the user's mailboxes; without them a page of 50 scans every row of the user.
CREATE INDEX messages_mailbox_date ON messages (mailbox_id, internal_date, blob_id);
CREATE INDEX messages_user_date ON messages (user_id, internal_date, blob_id);

-- A user's postage cases in any state (lnmp-gateway postage show, JMAP Postage/query and the
-- Postage state); postage_active only covers the cases still undecided.
CREATE INDEX postage_user ON postage (user_id, id);
