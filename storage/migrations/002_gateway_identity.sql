-- 002: the gateway's own LNMP identity, which signs mail it converts from SMTP as an
-- attestation of how it arrived. One row; the private key only wrapped by the gateway secret.
CREATE TABLE gateway_identity (
  id          integer PRIMARY KEY CHECK (id = 1),
  public_key  text NOT NULL CHECK (public_key ~ '^[0-9a-f]{64}$'),
  wrapped     bytea NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
