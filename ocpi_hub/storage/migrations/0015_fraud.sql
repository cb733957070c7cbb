-- Fraud signals (issue 9 §6, core/fraud.py).

-- Every real-time authorization the hub carried, with its outcome: what refused bursts are
-- counted on. Written in batches (storage/fraud_watch.py), not in the authorization's path.
CREATE TABLE authorizations (
    id              bigserial PRIMARY KEY,
    at              timestamptz NOT NULL,
    token           text NOT NULL,          -- the eMSP's CC*PID*UID
    evse            text,                   -- the CPO's CC*PID*LOCATION*EVSE, when named
    allowed         text NOT NULL,          -- AllowedType, or ERROR when no answer came
    on_behalf       boolean NOT NULL DEFAULT false
);
CREATE INDEX authorizations_token ON authorizations (token, at) WHERE allowed <> 'ALLOWED';
CREATE INDEX authorizations_evse ON authorizations (evse, at) WHERE allowed <> 'ALLOWED';
CREATE INDEX authorizations_at ON authorizations (at);

-- The alerts, one open alert per (code, subject): a signal seen again adds no second one.
CREATE TABLE fraud_alerts (
    id          bigserial PRIMARY KEY,
    code        text NOT NULL,
    severity    text NOT NULL CHECK (severity IN ('low', 'medium', 'high')),
    subject     text NOT NULL,              -- a token CC*PID*UID or an EVSE CC*PID*LOC*EVSE
    evidence    jsonb NOT NULL,
    found_at    timestamptz NOT NULL DEFAULT now(),
    closed_at   timestamptz,
    note        text
);
CREATE UNIQUE INDEX fraud_alerts_open ON fraud_alerts (code, subject) WHERE closed_at IS NULL;

-- A token's sessions (the eMSP is the session's audience), and an EVSE's CDRs.
CREATE INDEX objects_session_token ON objects ((data->'cdr_token'->>'uid'), audience, seq)
    WHERE module = 'sessions';
CREATE INDEX objects_cdr_evse ON objects
    (country_code, party_id, (data->'cdr_location'->>'id'), (data->'cdr_location'->>'evse_uid'), seq)
    WHERE module = 'cdrs';
