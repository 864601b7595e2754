-- 007: bearer tokens (`lnmp-gateway token create`), stored as credentials of kind 'token',
-- the kind 001 reserved: `label` is the token's name, `verifier` a one-way HKDF of the token
-- that finds it (a JMAP bearer request names no user), `wrapped` the user's keys under another
-- HKDF of it (services/token-service.ts). The token itself is never stored. Tokens carry 256
-- random bits, so they need no scrypt.

-- A bearer request (and a token used as an IMAP/SMTP password) finds its token by this index.
CREATE UNIQUE INDEX credentials_token_lookup ON credentials (verifier) WHERE kind = 'token';
-- Token names are unique per user: `token revoke ADDRESS NAME` deletes by them.
CREATE UNIQUE INDEX credentials_token_name ON credentials (user_id, label) WHERE kind = 'token';
ALTER TABLE credentials ADD CONSTRAINT credentials_token_named CHECK (kind <> 'token' OR label IS NOT NULL);
