-- Conversation history and feedback (design §7). Portable SQL for PostgreSQL and H2 in PostgreSQL mode.
-- Rows arrive through a write-behind buffer that may retry a batch, so every insert is idempotent on its id.

CREATE TABLE conversations (
    id          UUID PRIMARY KEY,
    user_id     UUID          NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title       VARCHAR(200)  NOT NULL,
    created_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at  TIMESTAMP WITH TIME ZONE NOT NULL
);
-- GET /api/v1/conversations: the caller's conversations, most recently active first, keyset-paginated.
CREATE INDEX conversations_user_recent ON conversations (user_id, updated_at DESC, id DESC);

CREATE TABLE messages (
    id               UUID PRIMARY KEY,
    conversation_id  UUID         NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    -- The conversation's owner, repeated so that reads and feedback check ownership without a join.
    user_id          UUID         NOT NULL,
    role             VARCHAR(16)  NOT NULL,
    content          TEXT         NOT NULL,
    -- What the caller asked for (alias or provider/model), and who served it (provider/model).
    model            VARCHAR(200),
    provider         VARCHAR(200),
    tokens_in        INTEGER,
    tokens_out       INTEGER,
    ttft_ms          BIGINT,
    duration_ms      BIGINT,
    finish_reason    VARCHAR(32),
    -- ok | cancelled (the client hung up; content is the partial text) | failed (error says why)
    status           VARCHAR(16)  NOT NULL,
    error            VARCHAR(1000),
    created_at       TIMESTAMP WITH TIME ZONE NOT NULL
);
-- A conversation's messages newest first (pages and the context window), keyset-paginated.
CREATE INDEX messages_conversation_time ON messages (conversation_id, created_at, id);

CREATE TABLE feedback (
    user_id     UUID          NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    message_id  UUID          NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    -- -1 or 1 (thumbs), or 1..5 (stars)
    rating      SMALLINT      NOT NULL,
    comment     VARCHAR(2000),
    created_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (user_id, message_id)
);
CREATE INDEX feedback_message ON feedback (message_id);
