-- API keys and usage plans created through the admin API, and usage counted per key per day.
CREATE TABLE IF NOT EXISTS api_keys (
    id            TEXT PRIMARY KEY NOT NULL,
    name          TEXT NOT NULL,
    value         TEXT NOT NULL UNIQUE,
    enabled       INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    description   TEXT,
    created_at    INTEGER NOT NULL,   -- Unix seconds
    updated_at    INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS usage_plans (
    id            TEXT PRIMARY KEY NOT NULL,
    definition    TEXT NOT NULL,      -- API Gateway's UsagePlan JSON, without id
    created_at    INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS usage_plan_keys (
    plan_id       TEXT NOT NULL REFERENCES usage_plans (id) ON DELETE CASCADE,
    key_id        TEXT NOT NULL,      -- a stored key, or one declared in the configuration file
    PRIMARY KEY (plan_id, key_id)
);
CREATE TABLE IF NOT EXISTS usage_counts (
    plan_id       TEXT NOT NULL,
    key_id        TEXT NOT NULL,
    day           TEXT NOT NULL,      -- YYYY-MM-DD, UTC
    count         INTEGER NOT NULL CHECK (count >= 0),
    PRIMARY KEY (plan_id, key_id, day)
);
