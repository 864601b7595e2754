-- 001: domains, users and their credentials, mailboxes, sealed messages, the change journal,
-- contacts, postage, the outbound queue and relay state. Never edit a released migration:
-- add a new numbered file instead.

CREATE TABLE domains (
  id          bigserial PRIMARY KEY,
  name        text NOT NULL UNIQUE CHECK (name = lower(name)),
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
  id            bigserial PRIMARY KEY,
  domain_id     bigint NOT NULL REFERENCES domains(id),
  username      text NOT NULL CHECK (username = lower(username)),
  -- Primary address user@domain, lowercase. RCPT lookups hit this unique index.
  address       text NOT NULL UNIQUE CHECK (address = lower(address)),
  -- name#checksum@domain with the checksum lowercased: checksums match case-insensitively.
  lnmp_address  text NOT NULL UNIQUE CHECK (lnmp_address = lower(lnmp_address)),
  public_key    text NOT NULL UNIQUE CHECK (public_key ~ '^[0-9a-f]{64}$'),
  status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  quota_bytes   bigint NOT NULL DEFAULT 1073741824 CHECK (quota_bytes >= 0),
  used_bytes    bigint NOT NULL DEFAULT 0,
  -- Account-wide change counter: every change takes the next value. IMAP MODSEQs and JMAP
  -- state strings both derive from it, so the two protocols agree.
  modseq        bigint NOT NULL DEFAULT 1,
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (domain_id, username)
);

-- Every credential wraps the same user secret (identity key, mailbox key, mnemonic) under a
-- key derived from its own password with scrypt. The secret never exists here in clear.
CREATE TABLE credentials (
  id            bigserial PRIMARY KEY,
  user_id       bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  kind          text NOT NULL CHECK (kind IN ('password', 'app_password', 'token')),
  label         text,
  kdf           jsonb NOT NULL,
  verifier      bytea NOT NULL,
  wrapped       bytea NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_used_at  timestamptz
);
-- Login loads every credential of one user.
CREATE INDEX credentials_user ON credentials (user_id);
-- At most one account password per user.
CREATE UNIQUE INDEX credentials_one_password ON credentials (user_id) WHERE kind = 'password';

CREATE TABLE aliases (
  address  text PRIMARY KEY CHECK (address = lower(address)),
  user_id  bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE
);
-- Listing and deleting a user's aliases.
CREATE INDEX aliases_user ON aliases (user_id);

-- UIDVALIDITY values are never reused, so a mailbox deleted and created again under the same
-- name gets a new one (RFC 3501 §2.3.1.1). IMAP limits them to 32 bits.
CREATE SEQUENCE mailbox_uidvalidity START 1 MAXVALUE 4294967295;

-- Mailbox names are private too: stored sealed under the mailbox key, with a keyed hash of
-- the name for uniqueness and lookup.
CREATE TABLE mailboxes (
  id             bigserial PRIMARY KEY,
  user_id        bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name_hash      bytea NOT NULL,
  name_sealed    bytea NOT NULL,
  role           text CHECK (role IN ('inbox', 'sent', 'drafts', 'trash', 'junk', 'archive', 'screener')),
  uidvalidity    bigint NOT NULL DEFAULT nextval('mailbox_uidvalidity'),
  uidnext        bigint NOT NULL DEFAULT 1,
  highestmodseq  bigint NOT NULL DEFAULT 1,
  subscribed     boolean NOT NULL DEFAULT true,
  created_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (user_id, name_hash)
);
-- Delivery finds INBOX or Screener by role; one mailbox per role.
CREATE UNIQUE INDEX mailboxes_role ON mailboxes (user_id, role) WHERE role IS NOT NULL;

-- Message contents, sealed. seal = 1: to the user's public key (delivered while the user was
-- away); seal = 2: under the user's symmetric mailbox key (after unlock). Copies share a blob.
CREATE TABLE blobs (
  id       bigserial PRIMARY KEY,
  user_id  bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  seal     smallint NOT NULL CHECK (seal IN (1, 2)),
  data     bytea NOT NULL,
  size     integer NOT NULL
);
-- Unlock re-wraps a user's blobs still sealed to the public key.
CREATE INDEX blobs_pending ON blobs (user_id, id) WHERE seal = 1;

CREATE TABLE messages (
  id             bigserial PRIMARY KEY,
  user_id        bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  mailbox_id     bigint NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
  uid            bigint NOT NULL,
  modseq         bigint NOT NULL,
  -- The modseq the message was created at: JMAP /changes tells created from updated by it,
  -- so creations and flag changes need no journal rows (only destructions do).
  created_modseq bigint NOT NULL,
  flags          text[] NOT NULL DEFAULT '{}',
  internal_date  timestamptz NOT NULL,
  size           integer NOT NULL,
  thread_id      bigint,
  blob_id        bigint NOT NULL REFERENCES blobs(id),
  -- SELECT and FETCH by UID ranges walk this index.
  UNIQUE (mailbox_id, uid)
);
-- CONDSTORE FETCH CHANGEDSINCE and SEARCH MODSEQ.
CREATE INDEX messages_mailbox_modseq ON messages (mailbox_id, modseq);
-- JMAP Thread/get and threading at unlock.
CREATE INDEX messages_thread ON messages (user_id, thread_id);
-- Dropping a blob when its last message goes.
CREATE INDEX messages_blob ON messages (blob_id);

-- Keyed hashes of Message-IDs (HMAC under the mailbox key) → thread, for threading by
-- Message-ID / In-Reply-To / References without storing the ids in clear.
CREATE TABLE thread_keys (
  user_id    bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  key        bytea NOT NULL,
  thread_id  bigint NOT NULL,
  PRIMARY KEY (user_id, key)
);

-- The change journal: what the live rows cannot tell any more. One row per destroyed message
-- (IMAP QRESYNC VANISHED, JMAP destroyed ids) and per mailbox change, at the account modseq it
-- took. Created and updated messages are read from messages.modseq / created_modseq.
CREATE TABLE changes (
  id          bigserial PRIMARY KEY,
  user_id     bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  modseq      bigint NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('email', 'mailbox')),
  op          text NOT NULL CHECK (op IN ('created', 'updated', 'destroyed')),
  object_id   bigint NOT NULL,
  mailbox_id  bigint,
  uid         bigint,
  thread_id   bigint
);
-- JMAP /changes: the journal rows of a user after a modseq.
CREATE INDEX changes_user_modseq ON changes (user_id, modseq);
-- QRESYNC VANISHED (EARLIER): expunged UIDs of one mailbox after a modseq.
CREATE INDEX changes_vanished ON changes (mailbox_id, modseq) WHERE op = 'destroyed';

-- Correspondents. The address is stored as a keyed hash so the table does not reveal who a
-- user writes to.
CREATE TABLE contacts (
  user_id       bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  address_hash  bytea NOT NULL,
  class         text NOT NULL CHECK (class IN ('friend', 'acquaintance', 'blocked')),
  since         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, address_hash)
);

-- Postage invoices and their state (hold invoices: open → held → settled | canceled).
CREATE TABLE postage (
  id            bigserial PRIMARY KEY,
  user_id       bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  message_id    bigint REFERENCES messages(id) ON DELETE SET NULL,
  payment_hash  text NOT NULL UNIQUE,
  amount_sats   bigint NOT NULL,
  state         text NOT NULL CHECK (state IN ('open', 'held', 'settled', 'canceled', 'expired')),
  bolt11        text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  settle_by     timestamptz
);
-- The postage worker looks at held invoices nearing their deadline.
CREATE INDEX postage_held ON postage (settle_by) WHERE state = 'held';

-- Outbound queue, worked with FOR UPDATE SKIP LOCKED; rows are inserted in the same
-- transaction as the Sent copy, so nothing is lost between "stored" and "queued".
CREATE TABLE outbound (
  id            bigserial PRIMARY KEY,
  user_id       bigint REFERENCES users(id) ON DELETE SET NULL,
  transport     text NOT NULL CHECK (transport IN ('smtp', 'lnmp')),
  recipient     text NOT NULL,
  blob_id       bigint REFERENCES blobs(id),
  attempts      integer NOT NULL DEFAULT 0,
  next_attempt  timestamptz NOT NULL DEFAULT now(),
  last_error    text,
  state         text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'failed')),
  created_at    timestamptz NOT NULL DEFAULT now()
);
-- Workers pick the next due message.
CREATE INDEX outbound_due ON outbound (next_attempt) WHERE state = 'queued';

-- Relay state: envelopes seen (dedupe by id) and cursors per relay.
CREATE TABLE relay_state (
  relay_url   text PRIMARY KEY,
  cursor      bigint NOT NULL DEFAULT 0,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
