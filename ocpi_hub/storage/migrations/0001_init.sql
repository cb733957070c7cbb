-- Platforms (one OCPI connection each) and the parties they host (DESIGN.md decision 5).
CREATE TABLE platforms (
    id                  bigserial PRIMARY KEY,
    name                text NOT NULL DEFAULT '',
    -- INVITED: token A issued; CONNECTING: we initiated and wait for the peer's token C;
    -- REGISTERED: handshake done; UNREGISTERED: credentials deleted, traffic stopped.
    status              text NOT NULL
                        CHECK (status IN ('INVITED', 'CONNECTING', 'REGISTERED', 'UNREGISTERED')),
    -- SHA-256 of the token this platform uses to call us. Tokens we issue are never kept in clear.
    incoming_token_hash bytea UNIQUE,
    -- The token we use to call this platform (theirs, so we must be able to send it).
    outgoing_token      text,
    versions_url        text,
    version             text,
    endpoints           jsonb NOT NULL DEFAULT '[]',
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE parties (
    id                  bigserial PRIMARY KEY,
    platform_id         bigint NOT NULL REFERENCES platforms ON DELETE CASCADE,
    country_code        text NOT NULL,   -- stored upper case: CiString compares case-insensitively
    party_id            text NOT NULL,
    role                text NOT NULL,
    business_details    jsonb,
    UNIQUE (country_code, party_id, role)
);
CREATE INDEX parties_platform ON parties (platform_id);

-- Locations as the CPO sent them (canonical JSON) plus the columns queries need.
CREATE TABLE locations (
    seq                 bigserial,      -- creation order: the stable order and keyset of pages
    country_code        text NOT NULL,  -- upper case, as are party_id and id
    party_id            text NOT NULL,
    id                  text NOT NULL,
    last_updated        timestamptz NOT NULL,
    data                jsonb NOT NULL,
    PRIMARY KEY (country_code, party_id, id)
);
CREATE UNIQUE INDEX locations_seq ON locations (seq);
CREATE INDEX locations_last_updated ON locations (last_updated, seq);

-- Row counts kept by trigger so an unfiltered X-Total-Count never costs a count(*).
CREATE TABLE object_counts (
    module              text PRIMARY KEY,
    n                   bigint NOT NULL
);
INSERT INTO object_counts VALUES ('locations', 0);

CREATE FUNCTION count_objects() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE object_counts
       SET n = n + CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE -1 END
     WHERE module = TG_ARGV[0];
    RETURN NULL;
END $$;
CREATE TRIGGER locations_count AFTER INSERT OR DELETE ON locations
    FOR EACH ROW EXECUTE FUNCTION count_objects('locations');

-- The transactional outbox (DESIGN.md decision 4): one row per push owed to one receiver.
CREATE TABLE deliveries (
    id                  bigserial PRIMARY KEY,
    receiver_platform_id bigint NOT NULL REFERENCES platforms ON DELETE CASCADE,
    to_country_code     text NOT NULL,
    to_party_id         text NOT NULL,
    from_country_code   text NOT NULL,
    from_party_id       text NOT NULL,
    module              text NOT NULL,
    interface           text NOT NULL,  -- which of the receiver's endpoints: SENDER or RECEIVER
    method              text NOT NULL,
    path                text NOT NULL,  -- appended to the receiver's endpoint URL
    body                text,           -- the exact JSON to send
    correlation_id      text NOT NULL,
    object_key          text NOT NULL,  -- deliveries for one (receiver, object) go out in id order
    status              text NOT NULL DEFAULT 'PENDING'
                        CHECK (status IN ('PENDING', 'DELIVERED', 'DEAD')),
    attempts            integer NOT NULL DEFAULT 0,
    next_attempt_at     timestamptz NOT NULL DEFAULT now(),
    leased_until        timestamptz,
    last_error          text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    delivered_at        timestamptz
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'PENDING';
CREATE INDEX deliveries_order ON deliveries (receiver_platform_id, object_key, id)
    WHERE status = 'PENDING';
