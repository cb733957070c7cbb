-- CDR checks and reconciliation (issue 9 §2, §4): what the checker found, and what it has seen.
-- Written by the checker in the background (storage/checker.py), never on a push's path.

-- Each CDR and Session the checker has seen, by its objects.seq (stable: a Session's upsert
-- updates its row in place, a CDR never changes). A CDR is checked when first seen; a Session is
-- seen with checked_at NULL and checked once it is COMPLETED or INVALID. The row is written in
-- the transaction that stores the object's findings: after a crash the object is checked again,
-- and never twice. Beside it, what reconciliation compares without reading the objects.
CREATE TABLE checked_objects (
    module        text NOT NULL,      -- 'cdrs' or 'sessions'
    seq           bigint NOT NULL,    -- objects.seq of the object
    country_code  text NOT NULL,      -- its owner (the CPO), upper case as in objects
    party_id      text NOT NULL,
    id            text NOT NULL,      -- its id as sent
    session_id    text,               -- upper case: a Session's id, a CDR's session_id
    charge        text,               -- a CDR's charge (core.reconcile.charge_of); NULL for a credit
    credits       text,               -- a credit CDR: the id of the CDR it credits, upper case
    awaiting_cdr  boolean NOT NULL DEFAULT false,  -- a COMPLETED Session with no CDR checked yet
    checked_at    timestamptz,        -- when it was checked; NULL: a Session not final yet
    PRIMARY KEY (module, seq)
);
CREATE INDEX checked_objects_session ON checked_objects (module, country_code, party_id, session_id);
CREATE INDEX checked_objects_charge ON checked_objects (country_code, party_id, charge)
    WHERE charge IS NOT NULL;
CREATE INDEX checked_objects_credits ON checked_objects (country_code, party_id, credits)
    WHERE credits IS NOT NULL;
CREATE INDEX checked_objects_waiting ON checked_objects (seq) WHERE checked_at IS NULL;
CREATE INDEX checked_objects_awaiting ON checked_objects (checked_at) WHERE awaiting_cdr;

-- What the checks and reconciliation found (core.findings): one row per finding, open until
-- reconciliation no longer finds it (resolved_at: the missing CDR arrived, the Session caught
-- up). A subject has at most one open finding per code and detail; a finding found again
-- after it was resolved is a new row.
CREATE TABLE findings (
    id            bigserial PRIMARY KEY,
    code          text NOT NULL,
    severity      text NOT NULL,
    module        text NOT NULL,      -- the subject, a CDR ('cdrs') or Session ('sessions') ...
    seq           bigint NOT NULL,    -- ... by its objects.seq,
    country_code  text NOT NULL,      -- its owner, upper case,
    party_id      text NOT NULL,
    object_id     text NOT NULL,      -- and its id as sent
    detail        text NOT NULL DEFAULT '',  -- tells apart findings of one code on one subject
    parties       text[] NOT NULL,    -- 'CC*PID' of the parties involved: the CPO, the eMSP
    evidence      jsonb NOT NULL,
    found_at      timestamptz NOT NULL DEFAULT now(),
    resolved_at   timestamptz
);
CREATE UNIQUE INDEX findings_open ON findings (module, seq, code, detail) WHERE resolved_at IS NULL;
CREATE INDEX findings_parties ON findings USING gin (parties);
CREATE INDEX findings_found_at ON findings (found_at);

-- When reconciliation last started, whichever process or command ran it: each `serve` runs it
-- once this is older than OCPI_HUB_RECONCILE_INTERVAL (claimed by compare-and-swap).
CREATE TABLE reconciliations (
    one           boolean PRIMARY KEY DEFAULT true CHECK (one),
    last_started  timestamptz NOT NULL
);
