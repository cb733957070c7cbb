-- The hub's operators (issue 12): who may use the admin API, the console and /metrics. A token is
-- shown once and stored hashed (SHA-256), as the tokens the hub issues to OCPI parties are; the
-- two never mix: an OCPI token is not looked up here, an operator token not in platforms.
CREATE TABLE operators (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (name <> '' AND length(name) <= 100),
    token_hash  bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
