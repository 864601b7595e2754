-- 005: the relay's store of envelopes (relay/store.ts). Envelopes arrive sealed; the relay
-- keeps them as they came (jsonb) with the header fields it filters on in columns.
-- ("relay_state" of 001 stays for the relay client's per-relay cursors.)
CREATE TABLE relay_messages (
  seq          bigint GENERATED ALWAYS AS IDENTITY,
  id           text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{64}$'),
  sender       text NOT NULL,
  recipients   text[] NOT NULL,
  kind         integer NOT NULL,
  "timestamp"  bigint NOT NULL,
  expiry       bigint,
  received_at  timestamptz NOT NULL,
  envelope     jsonb NOT NULL
);
-- QUERY/SUB by "to" (array overlap), newest first.
CREATE INDEX relay_messages_recipients ON relay_messages USING gin (recipients);
-- QUERY by "from", newest first.
CREATE INDEX relay_messages_sender ON relay_messages (sender, "timestamp" DESC, seq DESC);
-- since/until ranges and the newest-first order of every query.
CREATE INDEX relay_messages_timestamp ON relay_messages ("timestamp" DESC, seq DESC);
-- Retention prune.
CREATE INDEX relay_messages_received ON relay_messages (received_at);
CREATE INDEX relay_messages_expiry ON relay_messages (expiry) WHERE expiry IS NOT NULL;
