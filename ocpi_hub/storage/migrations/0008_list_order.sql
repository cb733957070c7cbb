-- Deep pages by offset (checklist §1.5): a page asked by `offset` costs about what the first does.
-- A list is served in creation order (module, seq). A page at an offset is found in two steps:
-- the seq at that offset, then the page by keyset from it (storage/repositories/objects.py).

-- 1. Filtered lists (date_from/date_to, OCPI-to narrowing, personal data) find that seq with an
-- index-only scan in list order: no heap, no sort. So the index carries every column a list
-- filters on: last_updated, the owner, the audience. It replaces objects_seq (the same key).
CREATE UNIQUE INDEX objects_list ON objects (module, seq)
    INCLUDE (last_updated, country_code, party_id, audience);
DROP INDEX objects_seq;

-- 2. The whole list of a module finds it without walking the rows before it: how many objects
-- each range of 4,096 sequence numbers holds, kept by the trigger that keeps object_counts, in
-- the same transaction. The seq at offset k is in the first range whose running total passes k,
-- and is found by walking at most 4,095 index entries there.
CREATE TABLE object_buckets (
    module      text NOT NULL,
    first_seq   bigint NOT NULL,  -- the range is [first_seq, first_seq + 4096)
    n           bigint NOT NULL,
    PRIMARY KEY (module, first_seq)
);
INSERT INTO object_buckets
    SELECT module, seq >> 12 << 12, count(*) FROM objects GROUP BY 1, 2;

-- Counters first, then the range: every writer takes these row locks in the same order.
-- (An object's module and seq never change: an upsert updates in place.)
CREATE OR REPLACE FUNCTION count_module_objects() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO object_counts VALUES (NEW.module, 1)
            ON CONFLICT (module) DO UPDATE SET n = object_counts.n + 1;
        INSERT INTO object_buckets VALUES (NEW.module, NEW.seq >> 12 << 12, 1)
            ON CONFLICT (module, first_seq) DO UPDATE SET n = object_buckets.n + 1;
    ELSE
        UPDATE object_counts SET n = n - 1 WHERE module = OLD.module;
        UPDATE object_buckets SET n = n - 1
         WHERE module = OLD.module AND first_seq = OLD.seq >> 12 << 12;
    END IF;
    RETURN NULL;
END $$;

-- TRUNCATE skips row triggers: without this the counters would keep counting what is gone, and
-- offsets would land in ranges that are empty.
CREATE FUNCTION forget_object_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM object_counts;
    DELETE FROM object_buckets;
    RETURN NULL;
END $$;
CREATE TRIGGER objects_truncated AFTER TRUNCATE ON objects
    FOR EACH STATEMENT EXECUTE FUNCTION forget_object_counts();

-- An index-only scan skips the heap only on pages the visibility map marks all-visible; those
-- marks are set by (auto)vacuum. The default thresholds wait for 20% of the table to change; a
-- hub rewrites Locations all day (EVSE status), so vacuum this table sooner.
ALTER TABLE objects SET (
    autovacuum_vacuum_scale_factor = 0.05,
    autovacuum_vacuum_insert_scale_factor = 0.05
);
