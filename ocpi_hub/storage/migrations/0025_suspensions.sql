-- An operator's suspension of an eMSP (issue 12, the console's Partners page): its new charging
-- stops as under a credit suspension (authorizations refused on its behalf, START_SESSION and
-- RESERVE_NOW rejected), until the operator lifts it. Kept apart from credit_states, which the
-- credit watch recomputes: an assessment never lifts what an operator decided.
CREATE TABLE suspensions (
    country_code  text NOT NULL,
    party_id      text NOT NULL,
    why           text NOT NULL CHECK (why <> ''),
    by_operator   text NOT NULL,
    since         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (country_code, party_id)
);
