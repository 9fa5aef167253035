-- The OAuth 2.0 authorization-code grant (the hosted sign-in page, /oauth2/authorize).
--
-- userpool_sessions.scopes: the scopes a session's access tokens carry, space-separated; ''
-- (every session opened before this migration, and every API sign-in) is the user-admin scope
-- alone, as before.
--
-- userpool_oauth_codes: an authorization code, kept as its SHA-256 only, bound to what it was
-- issued for (client, redirect URI, PKCE challenge, scopes, nonce, user). A code is redeemed at
-- most once: redeemed_at is set in the same transaction that reads it, with the origin_jti of
-- the session its tokens open, so a second redemption finds it and can revoke that session.
-- Rows go once expired (purge).
ALTER TABLE userpool_sessions ADD COLUMN scopes TEXT NOT NULL DEFAULT '';
CREATE TABLE IF NOT EXISTS userpool_oauth_codes (
    pool             TEXT NOT NULL,
    code_sha256      BLOB NOT NULL CHECK (length(code_sha256) = 32),
    client_id        TEXT NOT NULL,
    username         TEXT NOT NULL,
    redirect_uri     TEXT NOT NULL,
    code_challenge   TEXT,               -- base64url SHA-256 (S256), if the request had one
    scopes           TEXT NOT NULL,      -- space-separated
    nonce            TEXT,
    auth_time        INTEGER NOT NULL,   -- Unix seconds
    expires_at       INTEGER NOT NULL,   -- Unix seconds
    redeemed_at      INTEGER,
    origin_jti       TEXT,               -- the session its redemption opened
    PRIMARY KEY (pool, code_sha256)
);
CREATE INDEX IF NOT EXISTS userpool_oauth_codes_expires_at ON userpool_oauth_codes (expires_at);
