-- Identity-pool identities: one id per (identity pool, provider, subject), created once and
-- kept across restarts and nodes; unauthenticated identities have no login row.
CREATE TABLE IF NOT EXISTS identities (
    identity_id      TEXT PRIMARY KEY,   -- {region}:{uuid}
    pool_id          TEXT NOT NULL,      -- the identity pool, {region}:{uuid}
    created_at       INTEGER NOT NULL,   -- Unix seconds
    modified_at      INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS identities_pool ON identities (pool_id, identity_id);
CREATE TABLE IF NOT EXISTS identity_logins (
    pool_id          TEXT NOT NULL,
    provider         TEXT NOT NULL,      -- cognito-idp.{region}.amazonaws.com/{userPoolId}
    subject          TEXT NOT NULL,      -- the token's sub
    identity_id      TEXT NOT NULL REFERENCES identities (identity_id) ON DELETE CASCADE,
    PRIMARY KEY (pool_id, provider, subject)
);
CREATE INDEX IF NOT EXISTS identity_logins_identity ON identity_logins (identity_id);
-- The web identity behind identity-pool credentials (JSON: identity id, pool, provider, subject,
-- amr); NULL for AssumeRole's sessions. What policy variables and `$context.identity.cognito*`
-- are made of on every request signed with them.
ALTER TABLE sessions ADD COLUMN web_identity TEXT;
