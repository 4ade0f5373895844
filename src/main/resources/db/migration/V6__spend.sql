-- Spend (issue 16): what every call cost. Portable SQL for PostgreSQL and H2 in PostgreSQL mode.
-- Rows arrive through the history write-behind buffer, which may retry a batch: inserts are idempotent on id.

-- One row per call that reached a provider or was answered from the response cache, on every API.
CREATE TABLE usage_records (
    id                   UUID PRIMARY KEY,
    user_id              UUID          NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The personal API key the call came with; NULL for an access token or anonymous access. No reference:
    -- a deleted key's spend stays reported.
    api_key_id           UUID,
    -- The end user an application named for the call, where that is enabled; else NULL.
    end_user             VARCHAR(200),
    -- chat | embeddings
    kind                 VARCHAR(16)   NOT NULL,
    -- What the caller asked for (alias or provider/model), and who served it.
    model                VARCHAR(200)  NOT NULL,
    provider             VARCHAR(100)  NOT NULL,
    provider_model       VARCHAR(200)  NOT NULL,
    -- The UTC day the call ended on.
    usage_date           DATE          NOT NULL,
    input_tokens         BIGINT        NOT NULL,
    output_tokens        BIGINT        NOT NULL,
    -- Prompt tokens read from the provider's prompt cache, a part of input_tokens.
    cached_input_tokens  BIGINT        NOT NULL,
    -- USD; NULL when the model has no price (unpriced, which is not free). 0 for a response-cache hit.
    cost_usd             NUMERIC(20, 6),
    -- Whether tokens and cost are Sluice's estimate (the stream was cut before the provider reported usage).
    estimated            BOOLEAN       NOT NULL,
    -- Whether the reply came from Sluice's response cache: no provider was called.
    cache_hit            BOOLEAN       NOT NULL,
    created_at           TIMESTAMP WITH TIME ZONE NOT NULL
);
-- GET /api/v1/usage: one user's days; GET /api/v1/admin/usage: everyone's days.
CREATE INDEX usage_records_user_day ON usage_records (user_id, usage_date);
CREATE INDEX usage_records_day ON usage_records (usage_date);

-- A native reply's cost in history, as usage_records has it.
ALTER TABLE messages ADD COLUMN cost_usd NUMERIC(20, 6);
ALTER TABLE messages ADD COLUMN cost_estimated BOOLEAN;
