-- 015: message summaries (converters/message-summary.ts): the top-level header, the JMAP preview
-- and hasAttachment of a blob, sealed under the owner's mailbox key like the blob's seal-2 data
-- and bound to the owner and the blob. IMAP header fetches (ENVELOPE, BODY.PEEK[HEADER.FIELDS])
-- and JMAP list views read it instead of decrypting the whole message. Written when a blob
-- becomes seal 2 (APPEND, re-wrap at login, upload); NULL = not summarised yet (stored before
-- 015, or still sealed to the public key): readers summarise such a blob from its bytes.
ALTER TABLE blobs ADD COLUMN summary bytea;
