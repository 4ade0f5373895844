-- One history for PostgreSQL (production) and H2 in PostgreSQL mode (embedded default): portable SQL only.

CREATE TABLE users (
    id              UUID PRIMARY KEY,
    email           VARCHAR(320) NOT NULL,
    password_hash   VARCHAR(100) NOT NULL,
    role            VARCHAR(16)  NOT NULL,
    -- Per-user daily limits set by an admin; NULL means the configured default.
    daily_requests  INTEGER,
    daily_tokens    BIGINT,
    created_at      TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE UNIQUE INDEX users_email ON users (email);

CREATE TABLE api_keys (
    id           UUID PRIMARY KEY,
    user_id      UUID         NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         VARCHAR(100) NOT NULL,
    -- The visible start of the key, to recognise it in lists; the key itself is never stored.
    prefix       VARCHAR(16)  NOT NULL,
    -- SHA-256 of the whole key, hex: keys are long random strings, so a fast hash is safe and lookups stay cheap.
    key_hash     CHAR(64)     NOT NULL,
    created_at   TIMESTAMP WITH TIME ZONE NOT NULL,
    last_used_at TIMESTAMP WITH TIME ZONE,
    revoked_at   TIMESTAMP WITH TIME ZONE
);
CREATE UNIQUE INDEX api_keys_hash ON api_keys (key_hash);
CREATE INDEX api_keys_user ON api_keys (user_id, created_at);

-- One row per user and UTC day; updated with conditional increments so that replicas cannot overspend.
CREATE TABLE quota_usage (
    user_id          UUID    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    usage_date       DATE    NOT NULL,
    requests         INTEGER NOT NULL DEFAULT 0,
    tokens           BIGINT  NOT NULL DEFAULT 0,
    -- Tokens held for calls in flight, settled to real usage when each call ends.
    reserved_tokens  BIGINT  NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, usage_date)
);
CREATE INDEX quota_usage_date ON quota_usage (usage_date);
