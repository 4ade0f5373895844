-- Invite codes an admin makes for sluice.auth.registration=invite: single use, until they expire. Only a SHA-256
-- of the code is stored, as for API keys. used_by has no foreign key: it is set before the account's row exists.
CREATE TABLE invites (
    id          UUID PRIMARY KEY,
    code_hash   CHAR(64) NOT NULL,
    created_by  UUID     NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    expires_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    used_by     UUID,
    used_at     TIMESTAMP WITH TIME ZONE
);
CREATE UNIQUE INDEX invites_code ON invites (code_hash);

