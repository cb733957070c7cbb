-- Partner agreements (issue 8, core/agreements.py): between two parties, in order
-- (between < and), at most one allow and one deny; modules NULL means every module.
CREATE TABLE agreements (
    between_country_code text NOT NULL,
    between_party_id     text NOT NULL,
    and_country_code     text NOT NULL,
    and_party_id         text NOT NULL,
    effect               text NOT NULL CHECK (effect IN ('allow', 'deny')),
    modules              text[],
    created_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (between_country_code, between_party_id, and_country_code, and_party_id, effect),
    CHECK ((between_country_code, between_party_id) < (and_country_code, and_party_id))
);

-- Every hub process keeps the agreements beside its platforms (storage/platform_cache.py):
-- a change is announced on the same channel, with a payload that makes it reload everything.
CREATE FUNCTION notify_agreements_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('ocpi_hub_platforms', 'agreements');
    RETURN NULL;
END $$;

CREATE TRIGGER agreements_changed
    AFTER INSERT OR UPDATE OR DELETE ON agreements
    FOR EACH STATEMENT EXECUTE FUNCTION notify_agreements_changed();

-- The policy `serve` started with (OCPI_HUB_AGREEMENT_POLICY), so that the CLI judges a change
-- of the agreements as the serving hub does.
CREATE TABLE agreement_policy (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    policy   text NOT NULL CHECK (policy IN ('open', 'closed'))
);
