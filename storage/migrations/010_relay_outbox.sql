-- 010: the relay outbox (relay/outbox.ts): envelopes waiting to be published to LNMP relays,
-- kept across restarts. One target row per (envelope, relay), so each relay is done once: an
-- OK (or `duplicate:`) from that relay finishes its row. Envelopes are already sealed and
-- signed; the relays store exactly this JSON.
CREATE TABLE relay_outbox (
  id           bigserial PRIMARY KEY,
  envelope_id  text NOT NULL UNIQUE CHECK (envelope_id ~ '^[0-9a-f]{64}$'),
  envelope     jsonb NOT NULL,
  created_at   timestamptz NOT NULL
);

CREATE TABLE relay_outbox_targets (
  outbox_id     bigint NOT NULL REFERENCES relay_outbox(id) ON DELETE CASCADE,
  relay_url     text NOT NULL,
  state         text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'failed')),
  -- Attempts started, including one in flight; next_attempt is also the claim's lease.
  attempts      integer NOT NULL DEFAULT 0,
  next_attempt  timestamptz NOT NULL,
  last_error    text,
  finished_at   timestamptz,
  PRIMARY KEY (outbox_id, relay_url)
);
-- Workers claim due rows.
CREATE INDEX relay_outbox_targets_due ON relay_outbox_targets (next_attempt) WHERE state = 'queued';
-- The prune of finished envelopes.
CREATE INDEX relay_outbox_targets_finished ON relay_outbox_targets (finished_at) WHERE state <> 'queued';
