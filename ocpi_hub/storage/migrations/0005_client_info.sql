-- HubClientInfo (checklist §4.8, §5): each party's ConnectionStatus as the hub lists and pushes
-- it, and when each platform was last heard from, for the liveness probe.
ALTER TABLE parties
    ADD COLUMN connection_status text NOT NULL DEFAULT 'PLANNED'
        CHECK (connection_status IN ('CONNECTED', 'OFFLINE', 'PLANNED', 'SUSPENDED')),
    -- The ClientInfo's last_updated. Whole seconds, as it is rendered, so that date_from/date_to
    -- filters agree with the last_updated a client sees. No index: a hub knows hundreds or
    -- thousands of parties, not millions.
    ADD COLUMN status_updated timestamptz NOT NULL DEFAULT date_trunc('second', now());

-- Parties that existed before: their status follows from their platform's.
UPDATE parties q
   SET connection_status = CASE p.status
                               WHEN 'REGISTERED' THEN 'CONNECTED'
                               WHEN 'UNREGISTERED' THEN 'SUSPENDED'
                               ELSE 'PLANNED'
                           END
  FROM platforms p
 WHERE p.id = q.platform_id;

ALTER TABLE platforms
    -- Last request from the platform (recorded at most every ~30 s) or last answered probe.
    ADD COLUMN last_seen timestamptz NOT NULL DEFAULT now(),
    -- Last time a hub process claimed the platform for a liveness probe.
    ADD COLUMN probed_at timestamptz,
    -- The probe found the platform unreachable and its parties are OFFLINE; kept here so the
    -- per-request "heard from" check needs no join to find out.
    ADD COLUMN offline boolean NOT NULL DEFAULT false;
