-- Pulls (issue 8): the hub reads the Sender interfaces of a network that does not push to it, on
-- its dialect's schedule (push.puller). One row per (network, module), made at its first pull:
-- when the last complete pull started (the next delta's date_from) and the last complete full
-- one, the last attempt and why it failed, a full pull asked for (a ClientInfo from a network
-- whose HubClientInfo only announces agreements), and until when a hub process is pulling it
-- (several processes share the database; one pulls each row at a time).
CREATE TABLE pulls (
    platform_id   bigint NOT NULL REFERENCES platforms (id) ON DELETE CASCADE,
    module        text NOT NULL,
    last_success  timestamptz,
    last_full     timestamptz,
    last_attempt  timestamptz,
    last_error    text,
    cued_at       timestamptz,
    claimed_until timestamptz,
    PRIMARY KEY (platform_id, module)
);
