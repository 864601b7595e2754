-- 006: the invoices of the embedded dev Lightning backend (lightning/dev-store.ts), its
-- stand-in for a node's invoice database. Postage state stays in `postage` (001); with the
-- lnd backend this table stays empty. Times are Unix milliseconds from the backend's clock.
CREATE TABLE dev_lightning_invoices (
  payment_hash     text PRIMARY KEY CHECK (payment_hash ~ '^[0-9a-f]{64}$'),
  -- Compressed public key of the dev node that signed the invoice.
  payee            text NOT NULL CHECK (payee ~ '^0[23][0-9a-f]{64}$'),
  bolt11           text NOT NULL,
  amount_sats      bigint NOT NULL CHECK (amount_sats > 0),
  -- Hold invoices wait for the caller's preimage; normal ones settle on payment.
  hold             boolean NOT NULL,
  state            text NOT NULL CHECK (state IN ('open', 'held', 'settled', 'canceled')),
  -- Known from the start for normal invoices, from settlement for hold invoices.
  preimage         text CHECK (preimage ~ '^[0-9a-f]{64}$'),
  cltv_delta       integer NOT NULL CHECK (cltv_delta > 0),
  created_at       bigint NOT NULL,
  expires_at       bigint NOT NULL,
  held_at          bigint,
  settle_deadline  bigint,
  settled_at       bigint,
  canceled_at      bigint
);
-- No secondary index: every query is by payment hash (the primary key).
