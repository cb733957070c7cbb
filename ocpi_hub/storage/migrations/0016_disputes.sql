-- Disputes (issue 9 §5; the rules are core/disputes.py): an eMSP's dispute of a CDR it was
-- charged, its steps (who, when, why) and what each booked in the ledger (0013), which gains the
-- `disputed` account and a transaction kind per step. The ledger stays append-only and every
-- transaction sums to zero (0013's triggers); dispute transactions name no CDR (a CDR's own
-- transaction does, once): the dispute's step that booked it does.

ALTER TABLE ledger_transactions DROP CONSTRAINT ledger_transaction_kind;
ALTER TABLE ledger_transactions ADD CONSTRAINT ledger_transaction_kind CHECK (kind IN (
    'cdr', 'credit', 'payment',
    'dispute', 'dispute_accepted', 'dispute_rejected', 'dispute_credited'));
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_account_kind;
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_account_kind
    CHECK (account IN ('receivable', 'payable', 'fees', 'cash', 'disputed'));

-- One dispute: its state is the one thing that changes, by compare-and-swap in the transaction
-- that books the step (storage/repositories/disputes.py).
CREATE TABLE disputes (
    id                bigserial PRIMARY KEY,
    -- The CDR disputed: its transaction, and its name as that transaction has it.
    cdr_transaction   bigint NOT NULL REFERENCES ledger_transactions (id),
    cdr_country_code  text NOT NULL,
    cdr_party_id      text NOT NULL,
    cdr_id            text NOT NULL,
    emsp_country_code text NOT NULL,  -- the party disputing: the CDR's eMSP
    emsp_party_id     text NOT NULL,
    currency          text NOT NULL,
    amount            numeric NOT NULL CHECK (amount > 0),
    reason            text NOT NULL CHECK (reason <> ''),
    state             text NOT NULL DEFAULT 'OPEN'
        CHECK (state IN ('OPEN', 'ACCEPTED', 'REJECTED')),
    opened_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX disputes_of_cdr ON disputes (cdr_transaction);
CREATE INDEX disputes_open ON disputes (id) WHERE state = 'OPEN';

-- Each step of a dispute, with the ledger transaction it booked; never changed or removed.
CREATE TABLE dispute_events (
    id             bigserial PRIMARY KEY,
    dispute_id     bigint NOT NULL REFERENCES disputes (id),
    step           text NOT NULL CHECK (step IN ('opened', 'accepted', 'rejected', 'credited')),
    state          text NOT NULL CHECK (state IN ('OPEN', 'ACCEPTED', 'REJECTED')),  -- after it
    by             text NOT NULL CHECK (by <> ''),  -- the operator, or "credit CDR CC*PID*ID"
    at             timestamptz NOT NULL DEFAULT now(),
    note           text,  -- why: the reason of `opened`, the operator's note
    transaction_id bigint NOT NULL UNIQUE REFERENCES ledger_transactions (id),
    credit_transaction bigint REFERENCES ledger_transactions (id)  -- credited: the credit's
);
CREATE INDEX dispute_events_of ON dispute_events (dispute_id, id);
CREATE TRIGGER dispute_events_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON dispute_events
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
