-- The trace (issue 12): every request in, relay hop and its answer, and delivery attempt, kept
-- with its correlation id for OCPI_HUB_TRACE_RETENTION seconds (`ocpi-hub trace`, the console).
-- Written in batches from each process's buffer (storage.trace_log); read by correlation id,
-- pruned by time. The kinds and their order are core.trace's.
CREATE TABLE trace_hops (
    id              bigserial PRIMARY KEY,
    correlation_id  text NOT NULL,
    at              timestamptz NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('request', 'relay', 'answer', 'delivery')),
    method          text NOT NULL,
    url             text NOT NULL,
    from_party      text,                 -- CC*PID
    to_party        text,
    http_status     integer,
    ocpi_status     integer,
    duration_ms     double precision,
    request_id      text,
    note            text
);
CREATE INDEX trace_hops_correlation ON trace_hops (correlation_id, at);
-- Hops arrive nearly in time order, so a BRIN index finds old ones for the retention sweep at
-- almost no cost per insert.
CREATE INDEX trace_hops_at ON trace_hops USING brin (at);
