-- Refresh-token rotation: the refresh tokens a rotation replaced. userpool_sessions keeps each
-- session's current token; a retired one still works until valid_until (the client's grace
-- period), and after that is recognized as reused (RefreshTokenReuseException) rather than
-- unknown. Rows go when their session is purged.
CREATE TABLE IF NOT EXISTS userpool_retired_refresh (
    pool             TEXT NOT NULL,
    refresh_sha256   BLOB NOT NULL CHECK (length(refresh_sha256) = 32),
    origin_jti       TEXT NOT NULL,      -- the session it belonged to
    valid_until      INTEGER NOT NULL,   -- Unix seconds; usable while now < valid_until
    PRIMARY KEY (pool, refresh_sha256)
);
CREATE INDEX IF NOT EXISTS userpool_retired_refresh_session
    ON userpool_retired_refresh (pool, origin_jti);
