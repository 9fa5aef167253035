-- Temporary credentials issued by sts:AssumeRole (and, later, identity pools).
CREATE TABLE IF NOT EXISTS sessions (
    access_key_id     TEXT PRIMARY KEY NOT NULL,
    secret_access_key TEXT NOT NULL,
    session_token     TEXT NOT NULL,
    expires_at        INTEGER NOT NULL,   -- Unix seconds
    role_arn          TEXT NOT NULL,
    session_name      TEXT NOT NULL,
    session_policy    TEXT,               -- JSON policy document passed to AssumeRole
    source_identity   TEXT,
    issued_to         TEXT NOT NULL,      -- ARN of the principal that assumed the role
    created_at        INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_expires_at ON sessions (expires_at);
