-- 016: EmailSubmission deliveryStatus follows the outbound queue (RFC 8621 §7). A queued
-- message knows the submission (and user) it was sent for; when the queue finishes a recipient
-- of it (sent, failed for good, or a temporary failure that stays queued) it records the
-- outcome here without the user's private key: sealed to the user's public key like mail
-- delivered while the user is away, bound to user, submission and outbound row, so a row
-- cannot be moved. The recipient and the reply are only inside the sealed data.
-- EmailSubmission/get merges the outcomes over the status recorded at sending.
ALTER TABLE outbound_messages ADD COLUMN submission_id bigint;

CREATE TABLE email_submission_outcomes (
  -- One outcome per recipient row of the queue, replaced by the next one (retry, then final).
  outbound_id    bigint PRIMARY KEY,
  user_id        bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  -- No foreign key: the queue may finish a recipient before the submission is recorded.
  submission_id  bigint NOT NULL,
  data           bytea NOT NULL
);
CREATE INDEX email_submission_outcomes_submission ON email_submission_outcomes (user_id, submission_id);
