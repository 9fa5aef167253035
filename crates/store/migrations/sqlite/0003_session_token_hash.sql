-- Session tokens are kept as their SHA-256 only: a copy of the database must not be enough to
-- present someone's temporary credentials. SQLite cannot hash the tokens already stored, so the
-- table is rebuilt empty: sessions issued before this upgrade stop working and their holders
-- call AssumeRole again. They are temporary credentials (an hour by default, twelve at most), so
-- nothing durable is lost.
DROP TABLE IF EXISTS sessions;
CREATE TABLE sessions (
    access_key_id        TEXT PRIMARY KEY NOT NULL,
    -- In clear: SigV4 verification signs with it (an HMAC key cannot be checked from a hash).
    secret_access_key    TEXT NOT NULL,
    session_token_sha256 BLOB NOT NULL CHECK (length(session_token_sha256) = 32),
    expires_at           INTEGER NOT NULL,   -- Unix seconds
    role_arn             TEXT NOT NULL,
    session_name         TEXT NOT NULL,
    session_policy       TEXT,               -- JSON policy document passed to AssumeRole
    source_identity      TEXT,
    issued_to            TEXT NOT NULL,      -- ARN of the principal that assumed the role
    created_at           INTEGER NOT NULL    -- Unix seconds, from the caller's clock
);
CREATE INDEX sessions_expires_at ON sessions (expires_at);
