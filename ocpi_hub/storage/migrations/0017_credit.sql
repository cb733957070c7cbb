-- Credit exposure (issue 9 §7; the rules are core/credit.py, the assessment
-- storage/credit_watch.py): each eMSP's credit limit, where it stands, and every move kept.

-- The limit the operator set (`ocpi-hub settlement limit`); no row: no limit.
CREATE TABLE credit_limits (
    country_code text NOT NULL,   -- the eMSP, upper case
    party_id     text NOT NULL,
    amount       numeric NOT NULL CHECK (amount >= 0 AND amount <> 'Infinity'),
    currency     text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    set_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (country_code, party_id)
);

-- Where each assessed eMSP stands: its level and whether it is suspended, since when and why
-- (the last move). Written only when something moves.
CREATE TABLE credit_states (
    country_code text NOT NULL,
    party_id     text NOT NULL,
    level        text NOT NULL CHECK (level IN ('ok', 'warn', 'over')),
    suspended    boolean NOT NULL DEFAULT false,
    since        timestamptz NOT NULL DEFAULT now(),
    why          text NOT NULL,
    PRIMARY KEY (country_code, party_id)
);

-- Every move, for the alert history: the events of core.credit.step and the figures behind.
CREATE TABLE credit_events (
    id           bigserial PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    country_code text NOT NULL,
    party_id     text NOT NULL,
    events       text[] NOT NULL,
    level        text NOT NULL,
    suspended    boolean NOT NULL,
    exposure     numeric,         -- in the limit's currency; null without a limit
    limit_amount numeric,
    currency     text,
    why          text NOT NULL
);
CREATE INDEX credit_events_party ON credit_events (country_code, party_id, id);

-- Every hub process reads a suspension here, per authorization and START_SESSION: one primary
-- key lookup, exact in every process the moment the assessment commits.

-- An eMSP's sessions in progress (the eMSP is a session's audience), for its exposure.
CREATE INDEX objects_sessions_in_progress ON objects (audience)
    WHERE module = 'sessions' AND data->>'status' IN ('ACTIVE', 'PENDING');
