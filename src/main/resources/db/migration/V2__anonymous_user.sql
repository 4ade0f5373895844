-- The account anonymous requests run as in the embedded default; no password can match '!'.
INSERT INTO users (id, email, password_hash, role, created_at)
VALUES ('00000000-0000-0000-0000-000000000000', 'anonymous', '!', 'USER', CURRENT_TIMESTAMP);
