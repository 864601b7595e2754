-- 011: a destroyed message's journal row also keeps its blob and the modseq the row was
-- created at, so JMAP Email/changes (Emails are blobs) can tell, for every Email touched
-- since a state, whether it existed then and whether it still exists: exact across IMAP
-- EXPUNGE, mailbox deletion and moves. Rows journaled before this migration have NULLs.
ALTER TABLE changes ADD COLUMN blob_id bigint;
ALTER TABLE changes ADD COLUMN created_modseq bigint;
-- Email/changes reads a user's destroyed rows after a modseq (changes_user_modseq covers it).
