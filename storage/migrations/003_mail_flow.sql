-- 003: what SMTP mail needs beyond the mailbox: LNMP envelopes as stored blobs, the outbound
-- queue's message bodies, and the DKIM keys the gateway signs outgoing mail with.

-- seal = 3: an LNMP envelope (JSON) signed by whoever converted or sent it, sealed like
-- seal 1 to the user's public key. Re-wrapped to seal 2 (its MIME) at unlock like seal 1.
ALTER TABLE blobs DROP CONSTRAINT blobs_seal_check;
ALTER TABLE blobs ADD CONSTRAINT blobs_seal_check CHECK (seal IN (1, 2, 3));
DROP INDEX blobs_pending;
-- Unlock re-wraps a user's blobs still sealed to the public key.
CREATE INDEX blobs_pending ON blobs (user_id, id) WHERE seal IN (1, 3);

-- One row per queued message, shared by its recipients' outbound rows. The bytes are sealed
-- under a key derived from the gateway secret: the queue works while the sender is away.
CREATE TABLE outbound_messages (
  id             bigserial PRIMARY KEY,
  user_id        bigint REFERENCES users(id) ON DELETE SET NULL,
  envelope_from  text NOT NULL,
  data           bytea NOT NULL,
  size           integer NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE outbound ADD COLUMN message_id bigint REFERENCES outbound_messages(id) ON DELETE CASCADE;
ALTER TABLE outbound ADD COLUMN domain text NOT NULL DEFAULT '' CHECK (domain = lower(domain));
ALTER TABLE outbound ADD COLUMN last_reply text;
ALTER TABLE outbound ADD COLUMN finished_at timestamptz;
-- A message's recipients, when the last one is finished the message body can go.
CREATE INDEX outbound_message ON outbound (message_id);
-- Per-domain concurrency: rows of one domain being worked now.
CREATE INDEX outbound_domain ON outbound (domain) WHERE state = 'queued';

-- DKIM signing keys per domain and selector; the private key wrapped by the gateway secret.
-- A new selector in the config creates a new key beside the old one (rotation).
CREATE TABLE dkim_keys (
  domain       text NOT NULL CHECK (domain = lower(domain)),
  selector     text NOT NULL,
  wrapped      bytea NOT NULL,
  public_txt   text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (domain, selector)
);
