-- User-pool users, their sign-in aliases, groups and group memberships.
CREATE TABLE IF NOT EXISTS userpool_users (
    pool          TEXT NOT NULL,
    username      TEXT NOT NULL,      -- Cognito's internal username, immutable
    sub           TEXT NOT NULL,
    attributes    TEXT NOT NULL,      -- JSON object of name -> value
    status        TEXT NOT NULL,
    enabled       INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    password      TEXT,               -- JSON: Argon2id PHC string, SRP salt and verifier, set_at
    mfa           TEXT NOT NULL,      -- JSON
    created_at    INTEGER NOT NULL,   -- Unix seconds
    updated_at    INTEGER NOT NULL,
    version       INTEGER NOT NULL,
    PRIMARY KEY (pool, username)
);
CREATE UNIQUE INDEX IF NOT EXISTS userpool_users_sub ON userpool_users (pool, sub);
CREATE TABLE IF NOT EXISTS userpool_aliases (
    pool          TEXT NOT NULL,
    kind          TEXT NOT NULL,      -- email, phone_number, preferred_username
    value         TEXT NOT NULL,      -- canonical form (see userpools::attributes)
    username      TEXT NOT NULL,
    PRIMARY KEY (pool, kind, value),
    FOREIGN KEY (pool, username) REFERENCES userpool_users (pool, username) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS userpool_groups (
    pool          TEXT NOT NULL,
    name          TEXT NOT NULL,
    description   TEXT,
    precedence    INTEGER,
    role_arn      TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (pool, name)
);
CREATE TABLE IF NOT EXISTS userpool_memberships (
    pool          TEXT NOT NULL,
    group_name    TEXT NOT NULL,
    username      TEXT NOT NULL,
    PRIMARY KEY (pool, group_name, username),
    FOREIGN KEY (pool, group_name) REFERENCES userpool_groups (pool, name) ON DELETE CASCADE,
    FOREIGN KEY (pool, username) REFERENCES userpool_users (pool, username) ON DELETE CASCADE
);
