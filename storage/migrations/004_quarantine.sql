-- 004: a delivered blob that fails its integrity check when its owner logs in (a bad
-- envelope signature, a damaged ciphertext) is set aside instead of blocking every login:
-- it stays stored, is no longer picked up for re-wrapping, and fetching it reports the error.
ALTER TABLE blobs ADD COLUMN quarantined boolean NOT NULL DEFAULT false;
DROP INDEX blobs_pending;
-- Unlock re-wraps a user's blobs still sealed to the public key.
CREATE INDEX blobs_pending ON blobs (user_id, id) WHERE seal IN (1, 3) AND NOT quarantined;
