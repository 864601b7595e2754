-- 009: mail imported from legacy IMAP servers (`lnmp-gateway import`, services/mail-import.ts).
-- Progress is kept per message so an interrupted or repeated import never stores a message
-- twice. Nothing here names the legacy server, account or folder in clear, and no password
-- is ever stored: a legacy folder is known by a keyed hash (gateway secret, bound to the user).

-- One row per (user, legacy account, legacy folder): where its messages go. Special-use
-- folders and INBOX go to the user's mailbox of that role; any other folder to a named
-- mailbox, whose name only the user's mailbox key can seal. While the user is away the name
-- waits here sealed to the user's public key, and the messages wait in import_staged, until
-- the next login creates (or finds) the mailbox and moves them in (mailbox_id set from then on).
CREATE TABLE import_folders (
  id           bigserial PRIMARY KEY,
  user_id      bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  folder_hash  bytea NOT NULL,
  role         text CHECK (role IN ('inbox', 'sent', 'drafts', 'trash', 'junk', 'archive')),
  name_sealed  bytea,
  mailbox_id   bigint REFERENCES mailboxes(id) ON DELETE SET NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  CHECK ((role IS NULL) <> (name_sealed IS NULL)),
  -- Each import looks its folder up by hash.
  UNIQUE (user_id, folder_hash)
);

-- One row per legacy message imported, written in the transaction that stores it. UIDs are
-- only unique within one UIDVALIDITY of a folder, so both are part of the key.
CREATE TABLE import_messages (
  folder_id    bigint NOT NULL REFERENCES import_folders(id) ON DELETE CASCADE,
  uidvalidity  bigint NOT NULL,
  uid          bigint NOT NULL,
  imported_at  timestamptz NOT NULL DEFAULT now(),
  -- The resume check (UIDs already imported) and the duplicate guard.
  PRIMARY KEY (folder_id, uidvalidity, uid)
);

-- Messages for a named folder that does not exist yet, sealed like delivered mail (seal 3 or 1,
-- to the user's public key) and already counted in the user's quota. Moved into blobs and
-- messages at the user's next login.
CREATE TABLE import_staged (
  id             bigserial PRIMARY KEY,
  user_id        bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  folder_id      bigint NOT NULL REFERENCES import_folders(id) ON DELETE CASCADE,
  seal           smallint NOT NULL CHECK (seal IN (1, 3)),
  data           bytea NOT NULL,
  size           integer NOT NULL,
  flags          text[] NOT NULL DEFAULT '{}',
  internal_date  timestamptz NOT NULL
);
-- Login moves a user's staged messages folder by folder, in the order they were imported.
CREATE INDEX import_staged_folder ON import_staged (user_id, folder_id, id);
