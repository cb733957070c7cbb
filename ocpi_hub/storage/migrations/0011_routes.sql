-- Route choice (issue 8, core/routes.py): what each route (platform) did, and which route each
-- party with several routes is sent its traffic over.

-- Requests sent to each platform, per time bucket (core.route_quality.bucket_seconds), added to
-- by every hub process: `sent`, how many `failed`, and `latencies`, a count per bucket of the
-- latency histogram (core.route_quality.LATENCY_BOUNDS_MS, then one for anything slower).
-- Buckets older than the window are pruned by the route chooser.
CREATE TABLE route_samples (
    platform_id bigint NOT NULL REFERENCES platforms ON DELETE CASCADE,
    bucket      timestamptz NOT NULL,
    sent        integer NOT NULL,
    failed      integer NOT NULL,
    latencies   integer[] NOT NULL,
    PRIMARY KEY (platform_id, bucket)
);
CREATE INDEX route_samples_bucket ON route_samples (bucket);

-- Per party (country_code, party_id): the operator's preference (none: automatic; a platform,
-- or its direct connection), the route chosen, why and since when, and whether what was queued
-- on its other routes has all been moved to the chosen one (`settled`, see
-- storage/repositories/outbox_routes.py).
CREATE TABLE route_choices (
    country_code       text NOT NULL,
    party_id           text NOT NULL,
    prefer_platform_id bigint REFERENCES platforms ON DELETE SET NULL,
    prefer_direct      boolean NOT NULL DEFAULT false,
    chosen_platform_id bigint REFERENCES platforms ON DELETE SET NULL,
    reason             text NOT NULL DEFAULT '',
    changed_at         timestamptz,
    settled            boolean NOT NULL DEFAULT true,
    PRIMARY KEY (country_code, party_id),
    CHECK (NOT (prefer_direct AND prefer_platform_id IS NOT NULL))
);

-- Every hub process keeps the chosen routes beside its platforms (storage/platform_cache.py):
-- a new choice is announced on the same channel, with a payload that makes it reload
-- everything. A preference, a reason or `settled` changes silently: no process keeps them
-- (an upsert that sets `chosen_platform_id` fires the UPDATE trigger whichever way it went).
CREATE FUNCTION notify_route_chosen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('ocpi_hub_platforms', 'routes');
    RETURN NULL;
END $$;

CREATE TRIGGER route_chosen
    AFTER DELETE OR UPDATE OF chosen_platform_id ON route_choices
    FOR EACH STATEMENT EXECUTE FUNCTION notify_route_chosen();
