-- One table for every client-owned OCPI object the hub stores (Locations, Tariffs, Tokens,
-- Sessions, CDRs): stored JSON as sent, plus the columns that pages, lookups and visibility need.
-- Locations move here from their own table; one repository serves every module.
CREATE TABLE objects (
    seq                 bigserial,      -- creation order: the stable order and keyset of pages
    module              text NOT NULL,  -- OCPI module id
    country_code        text NOT NULL,  -- the owner, upper case (CiString)
    party_id            text NOT NULL,
    id                  text NOT NULL,  -- upper case; a Token's uid
    kind                text NOT NULL DEFAULT '',  -- a Token's type; '' elsewhere
    -- Personal data (Sessions, CDRs) is visible to its owner and to this party only, 'CC*PID'.
    audience            text,
    last_updated        timestamptz NOT NULL,
    data                jsonb NOT NULL,
    PRIMARY KEY (module, country_code, party_id, id, kind)
);
CREATE UNIQUE INDEX objects_seq ON objects (module, seq);
CREATE INDEX objects_last_updated ON objects (module, last_updated, seq);
CREATE INDEX objects_id ON objects (module, id);

INSERT INTO objects (seq, module, country_code, party_id, id, last_updated, data)
    SELECT seq, 'locations', country_code, party_id, id, last_updated, data
      FROM locations ORDER BY seq;
SELECT setval(pg_get_serial_sequence('objects', 'seq'),
              greatest((SELECT max(seq) FROM objects), 1));
DROP TABLE locations;

-- The per-module counters, kept by one trigger for every module.
CREATE FUNCTION count_module_objects() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO object_counts VALUES (NEW.module, 1)
            ON CONFLICT (module) DO UPDATE SET n = object_counts.n + 1;
    ELSE
        UPDATE object_counts SET n = n - 1 WHERE module = OLD.module;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER objects_count AFTER INSERT OR DELETE ON objects
    FOR EACH ROW EXECUTE FUNCTION count_module_objects();
DROP FUNCTION count_objects();
