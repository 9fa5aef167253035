-- What user-pool sign-ins leave behind: each pool's token-signing keys, the sessions a sign-in
-- opens (the refresh token kept as its SHA-256 only), confirmation and reset codes (kept as a
-- digest), and the outbox of messages the built-in sender "delivers".
--
-- Sessions, codes and the outbox are not foreign-keyed to userpool_users: a deleted user's
-- revoked sessions must stay visible to every node's deny list until they expire (and are
-- purged), and the codes of a deleted user are removed by the store's delete_codes.
CREATE TABLE IF NOT EXISTS userpool_signing_keys (
    pool             TEXT NOT NULL,
    kid              TEXT NOT NULL,
    created_at       INTEGER NOT NULL,   -- Unix seconds
    retired_at       INTEGER,            -- when it stopped signing; still published after
    private_key_pem  TEXT NOT NULL,      -- PKCS#8 PEM
    PRIMARY KEY (pool, kid)
);
CREATE TABLE IF NOT EXISTS userpool_sessions (
    pool             TEXT NOT NULL,
    origin_jti       TEXT NOT NULL,      -- the origin_jti claim of every token of the session
    client_id        TEXT NOT NULL,
    username         TEXT NOT NULL,
    refresh_sha256   BLOB NOT NULL CHECK (length(refresh_sha256) = 32),
    auth_time        INTEGER NOT NULL,   -- Unix seconds
    expires_at       INTEGER NOT NULL,   -- when the refresh token stops working
    revoked_at       INTEGER,
    PRIMARY KEY (pool, origin_jti),
    UNIQUE (pool, refresh_sha256)
);
CREATE INDEX IF NOT EXISTS userpool_sessions_user ON userpool_sessions (pool, username);
CREATE INDEX IF NOT EXISTS userpool_sessions_revoked ON userpool_sessions (revoked_at)
    WHERE revoked_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS userpool_sessions_expires_at ON userpool_sessions (expires_at);
CREATE TABLE IF NOT EXISTS userpool_codes (
    pool             TEXT NOT NULL,
    username         TEXT NOT NULL,
    purpose          TEXT NOT NULL,      -- sign_up, forgot_password, verify_attribute
    digest           BLOB NOT NULL CHECK (length(digest) = 32),
    expires_at       INTEGER NOT NULL,   -- Unix seconds
    attempts         INTEGER NOT NULL DEFAULT 0,   -- wrong guesses so far
    PRIMARY KEY (pool, username, purpose)
);
CREATE TABLE IF NOT EXISTS userpool_outbox (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    pool             TEXT NOT NULL,
    username         TEXT NOT NULL,
    purpose          TEXT NOT NULL,
    medium           TEXT NOT NULL,      -- EMAIL or SMS
    destination      TEXT NOT NULL,
    code             TEXT NOT NULL,
    sent_at          INTEGER NOT NULL    -- Unix seconds
);
CREATE INDEX IF NOT EXISTS userpool_outbox_user ON userpool_outbox (pool, username, id);
