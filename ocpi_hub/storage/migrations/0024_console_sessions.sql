-- The operator's console (issue 12): a signed-in operator's browser session. The cookie holds a
-- random id; only its hash is kept (as with every token), so a copy of the database cannot be
-- used to sign in. Each session has its own CSRF token, which every console form carries.
CREATE TABLE console_sessions (
    id_hash      bytea PRIMARY KEY,
    operator_id  bigint NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    csrf_token   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL
);
CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);
