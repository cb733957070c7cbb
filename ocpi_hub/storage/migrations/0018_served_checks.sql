-- The limits `serve` checks CDRs and Sessions with (OCPI_HUB_MAX_SESSION_HOURS,
-- OCPI_HUB_CDR_GRACE_HOURS, OCPI_HUB_PRICE_TOLERANCE), recorded when it starts, so that
-- `ocpi-hub reconcile`, run from a shell without serve's environment, judges findings as the
-- serving hub does instead of closing them under its own defaults.
CREATE TABLE served_checks (
    only_row          boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    max_session_hours numeric NOT NULL CHECK (max_session_hours > 0),
    cdr_grace_hours   numeric NOT NULL CHECK (cdr_grace_hours > 0),
    price_tolerance   numeric NOT NULL CHECK (price_tolerance >= 0),
    recorded_at       timestamptz NOT NULL DEFAULT now()
);
