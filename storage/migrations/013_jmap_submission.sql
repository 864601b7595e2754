-- 013: JMAP submission (RFC 8621 §6-8): the user's extra identities, the record of each
-- EmailSubmission and the vacation response. Each change takes the account modseq (JMAP
-- state); destroyed identities and submissions stay as tombstones without data, so /changes
-- can report them. Personal data (names, addresses, signatures, envelopes, delivery status,
-- the vacation text) is sealed: identities and submissions under a subkey of the user's
-- mailbox key (read only while the user is logged in), the vacation response under a key
-- derived from the gateway secret (the MX answers with it while the user is away).
CREATE TABLE identities (
  id             bigserial PRIMARY KEY,
  user_id        bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  -- The row that holds the changes made to the account's default identity (id I<userId>).
  is_default     boolean NOT NULL DEFAULT false,
  data           bytea,
  modseq         bigint NOT NULL,
  created_modseq bigint NOT NULL,
  destroyed      boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX identities_default ON identities (user_id) WHERE is_default;
CREATE INDEX identities_user_modseq ON identities (user_id, modseq);

CREATE TABLE email_submissions (
  id             bigserial PRIMARY KEY,
  user_id        bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  -- JMAP ids; the Email may be destroyed later, the submission stays (RFC 8621 §7).
  identity_id    text NOT NULL,
  email_id       text NOT NULL,
  thread_id      text NOT NULL,
  send_at        timestamptz NOT NULL,
  undo_status    text NOT NULL CHECK (undo_status IN ('pending', 'final', 'canceled')),
  -- Sealed JSON: the envelope and the delivery status per recipient.
  data           bytea,
  modseq         bigint NOT NULL,
  created_modseq bigint NOT NULL,
  destroyed      boolean NOT NULL DEFAULT false
);
CREATE INDEX email_submissions_user_modseq ON email_submissions (user_id, modseq);

CREATE TABLE vacation_responses (
  user_id     bigint PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  is_enabled  boolean NOT NULL DEFAULT false,
  from_date   timestamptz,
  to_date     timestamptz,
  -- Sealed JSON: subject, textBody, htmlBody.
  data        bytea,
  modseq      bigint NOT NULL,
  -- A new setting starts a new reply window: every sender may be answered once again.
  updated_at  timestamptz NOT NULL
);

-- Who got a vacation reply when: keyed hashes of the senders (as postage_auto_replies).
CREATE TABLE vacation_replies (
  user_id     bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  sender_hash bytea NOT NULL,
  sent_at     timestamptz NOT NULL,
  PRIMARY KEY (user_id, sender_hash)
);
