-- The outbox keeps only the work still owed (issue 7 §1): a claim must cost the same on the
-- first day and after a year of deliveries, and with one receiver down for hours.
--
-- outbox               what is owed: PENDING deliveries, and DEAD ones waiting for a replay
--                      (was `deliveries`; rows are moved out when delivered)
-- outbox_queues        one row per (receiver, object) with PENDING work, and when its oldest
--                      delivery may be sent: the claim reads this small table only
-- deliveries_delivered history: each delivered row, kept OCPI_HUB_DELIVERED_RETENTION_DAYS
-- deliveries           a view of all three states, for reading (CLI, tests, operators in psql)
ALTER TABLE deliveries RENAME TO outbox;
ALTER SEQUENCE deliveries_id_seq RENAME TO outbox_id_seq;
ALTER INDEX deliveries_pkey RENAME TO outbox_pkey;
ALTER INDEX deliveries_order RENAME TO outbox_order;
DROP INDEX deliveries_due;
-- The lease lives on the queue now.
ALTER TABLE outbox DROP COLUMN leased_until;

CREATE TABLE deliveries_delivered (
    id                  bigint PRIMARY KEY,   -- the id it had in the outbox
    -- No foreign key: history outlives a deleted platform, until retention prunes it.
    receiver_platform_id bigint NOT NULL,
    to_country_code     text NOT NULL,
    to_party_id         text NOT NULL,
    from_country_code   text NOT NULL,
    from_party_id       text NOT NULL,
    module              text NOT NULL,
    interface           text NOT NULL,
    method              text NOT NULL,
    path                text NOT NULL,
    body                text,
    correlation_id      text NOT NULL,
    object_key          text NOT NULL,
    attempts            integer NOT NULL,
    created_at          timestamptz NOT NULL,
    delivered_at        timestamptz NOT NULL,
    url                 text,
    -- The delivery whose request carried this change, when it was merged into an earlier one
    -- (core.delivery); NULL when it was sent on its own.
    merged_into         bigint
);
-- Rows arrive in delivered_at order, so a BRIN index finds old ones for the retention sweep at
-- almost no cost per insert.
CREATE INDEX deliveries_delivered_at ON deliveries_delivered USING brin (delivered_at);

INSERT INTO deliveries_delivered
    SELECT id, receiver_platform_id, to_country_code, to_party_id, from_country_code,
           from_party_id, module, interface, method, path, body, correlation_id, object_key,
           attempts, created_at, coalesce(delivered_at, now()), url, NULL
      FROM outbox WHERE status = 'DELIVERED';
DELETE FROM outbox WHERE status = 'DELIVERED';
ALTER TABLE outbox DROP CONSTRAINT deliveries_status_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_status_check CHECK (status IN ('PENDING', 'DEAD'));

CREATE TABLE outbox_queues (
    receiver_platform_id bigint NOT NULL REFERENCES platforms ON DELETE CASCADE,
    object_key          text NOT NULL,
    -- When the queue's oldest PENDING delivery may be sent: its retry time, or the end of the
    -- lease of the worker sending it.
    next_attempt_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (receiver_platform_id, object_key)
);
CREATE INDEX outbox_queues_due ON outbox_queues (next_attempt_at);

INSERT INTO outbox_queues (receiver_platform_id, object_key, next_attempt_at)
    SELECT DISTINCT ON (receiver_platform_id, object_key)
           receiver_platform_id, object_key, next_attempt_at
      FROM outbox WHERE status = 'PENDING'
     ORDER BY receiver_platform_id, object_key, id;

CREATE VIEW deliveries AS
    SELECT id, receiver_platform_id, to_country_code, to_party_id, from_country_code,
           from_party_id, module, interface, method, path, body, correlation_id, object_key,
           status, attempts, next_attempt_at, last_error, created_at, delivered_at, url,
           NULL::bigint AS merged_into
      FROM outbox
    UNION ALL
    SELECT id, receiver_platform_id, to_country_code, to_party_id, from_country_code,
           from_party_id, module, interface, method, path, body, correlation_id, object_key,
           'DELIVERED', attempts, NULL, NULL, created_at, delivered_at, url, merged_into
      FROM deliveries_delivered;
