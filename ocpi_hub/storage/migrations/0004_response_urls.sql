-- Commands and ChargingProfiles answer asynchronously, at a response_url the requester chose.
-- The hub hands the receiver a URL of its own instead and keeps here where the result must go
-- (checklist §4.6, §4.7, §7.14). One row per proxied request; its `state`:
--   SENT       relayed, the receiver's synchronous answer not back yet (results already welcome)
--   ACCEPTED   the receiver answered ACCEPTED: a result is due by `deadline`
--   ANSWERED   a result came and more may follow until `deadline` (a RESERVE_NOW, which the CPO
--              may still cancel with CANCELED_RESERVATION until it expires)
--   CLOSED     no result expected any more
--   TIMED_OUT  the deadline passed without a result (Commands: a TIMEOUT result was sent)
CREATE TABLE response_urls (
    id                      text PRIMARY KEY,  -- the unguessable last segment of the hub's URL
    module                  text NOT NULL,     -- commands | chargingprofiles
    kind                    text NOT NULL,     -- the CommandType, or the request method (GET...)
    requester_platform_id   bigint NOT NULL REFERENCES platforms ON DELETE CASCADE,
    requester_country_code  text NOT NULL,
    requester_party_id      text NOT NULL,
    response_url            text NOT NULL,     -- the requester's own: results are delivered there
    receiver_platform_id    bigint NOT NULL REFERENCES platforms ON DELETE CASCADE,
    receiver_country_code   text NOT NULL,
    receiver_party_id       text NOT NULL,
    correlation_id          text NOT NULL,     -- of the request: its results carry it too
    session_id              text,              -- upper case; STOP_SESSION and chargingprofiles
    reservation_id          text,              -- upper case; RESERVE_NOW and CANCEL_RESERVATION
    expires_at              timestamptz,       -- a RESERVE_NOW's expiry_date
    state                   text NOT NULL DEFAULT 'SENT'
                            CHECK (state IN ('SENT', 'ACCEPTED', 'ANSWERED', 'CLOSED', 'TIMED_OUT')),
    response                text,              -- the receiver's synchronous `result`, for the log
    deadline                timestamptz,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);
-- What the sweeper scans, and what it purges once closed long enough.
CREATE INDEX response_urls_due ON response_urls (module, deadline)
    WHERE state IN ('SENT', 'ACCEPTED', 'ANSWERED');
CREATE INDEX response_urls_closed ON response_urls (updated_at)
    WHERE state IN ('CLOSED', 'TIMED_OUT');
-- CANCEL_RESERVATION is routed to the CPO of the requester's RESERVE_NOW with that id.
CREATE INDEX response_urls_reservations
    ON response_urls (requester_country_code, requester_party_id, reservation_id, created_at)
    WHERE kind = 'RESERVE_NOW';

-- Who set a charging profile for a session (the CPO answered ACCEPTED to its PUT): the CPO's
-- later ActiveChargingProfile updates for that session go to these parties, and only to them
-- (checklist §4.7).
CREATE TABLE charging_profile_senders (
    receiver_country_code   text NOT NULL,     -- the CPO
    receiver_party_id       text NOT NULL,
    session_id              text NOT NULL,     -- upper case (CiString)
    sender_country_code     text NOT NULL,     -- the party that set the profile
    sender_party_id         text NOT NULL,
    updated_at              timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (receiver_country_code, receiver_party_id, session_id,
                 sender_country_code, sender_party_id)
);
CREATE INDEX charging_profile_senders_age ON charging_profile_senders (updated_at);
