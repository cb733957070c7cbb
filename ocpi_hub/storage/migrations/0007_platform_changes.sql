-- Every hub process keeps the platforms and their parties in memory (storage/platform_cache.py).
-- A change to what it keeps is announced on the channel `ocpi_hub_platforms` with the
-- platform's id, from the transaction that makes it, so every process (and whatever else changes
-- these tables: the CLI, an operator's SQL) invalidates that platform at commit. What a process
-- does not keep (last_seen, probed_at, updated_at, a party's connection status or business
-- details) changes without a notification, so the per-request bookkeeping stays silent.
CREATE FUNCTION notify_platform_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'platforms' THEN
        PERFORM pg_notify('ocpi_hub_platforms',
                          (CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END)::text);
    ELSE
        -- Both sides when a party moves: the platform it left and the one it joined.
        IF TG_OP <> 'DELETE' THEN
            PERFORM pg_notify('ocpi_hub_platforms', NEW.platform_id::text);
        END IF;
        IF TG_OP <> 'INSERT' THEN
            PERFORM pg_notify('ocpi_hub_platforms', OLD.platform_id::text);
        END IF;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER platforms_changed
    AFTER INSERT OR DELETE
       OR UPDATE OF name, status, incoming_token_hash, outgoing_token, versions_url, version,
                    endpoints, offline
    ON platforms FOR EACH ROW EXECUTE FUNCTION notify_platform_changed();

CREATE TRIGGER parties_changed
    AFTER INSERT OR DELETE OR UPDATE OF platform_id, country_code, party_id, role
    ON parties FOR EACH ROW EXECUTE FUNCTION notify_platform_changed();
