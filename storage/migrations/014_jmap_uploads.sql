-- 014: JMAP uploads (RFC 8620 §6.1). An uploaded blob is an ordinary row of blobs, sealed
-- under the uploader's mailbox key like an appended message, that no message holds yet:
-- uploaded_at says when it came. services/blob-service.ts drops an upload still unreferenced
-- once it is over an hour old, and clears uploaded_at of one a message holds by then (from
-- then on it lives and goes with its messages). Email/import makes a message of an upload
-- without copying it. Rows stored by delivery, APPEND or mail import have NULL here.
ALTER TABLE blobs ADD COLUMN uploaded_at timestamptz;
-- Only recent uploads are in it: the per-account limit sums them, the sweep finds old ones.
CREATE INDEX blobs_uploaded ON blobs (user_id, uploaded_at) WHERE uploaded_at IS NOT NULL;
