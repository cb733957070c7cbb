-- The settlement ledger (issue 9 §3; the rules are core/ledger.py): double-entry transactions,
-- append-only, each summing to zero per currency; payments; the hub's fee per pair of parties.
-- Amounts are numeric, never float.

CREATE TABLE ledger_transactions (
    id               bigserial PRIMARY KEY,
    kind             text NOT NULL
        CONSTRAINT ledger_transaction_kind CHECK (kind IN ('cdr', 'credit', 'payment')),
    -- The statement period a transaction falls in: when the hub booked it (UTC). Statements
    -- find a party's transactions through its entries (ledger_entries_party).
    booked_at        timestamptz NOT NULL DEFAULT now(),
    -- The CDR booked (cdr, credit): its owner upper case, its id as sent.
    cdr_country_code text,
    cdr_party_id     text,
    cdr_id           text,
    -- credit: the transaction it reverses, entry by entry.
    reverses         bigint REFERENCES ledger_transactions (id),
    -- cdr: the fee's terms that applied (fee_fixed 0 where the fee's currency is not the CDR's).
    fee_percent      numeric,
    fee_fixed        numeric,
    CONSTRAINT ledger_cdr_named CHECK (
        (kind IN ('cdr', 'credit'))
        = (cdr_country_code IS NOT NULL AND cdr_party_id IS NOT NULL AND cdr_id IS NOT NULL)),
    CONSTRAINT ledger_credit_reverses CHECK ((kind = 'credit') = (reverses IS NOT NULL)),
    CONSTRAINT ledger_cdr_fee CHECK (
        (kind = 'cdr') = (fee_percent IS NOT NULL AND fee_fixed IS NOT NULL))
);
-- A CDR is booked once (ids compare as CiStrings), and a transaction is reversed once.
CREATE UNIQUE INDEX ledger_cdr_booked_once
    ON ledger_transactions (cdr_country_code, cdr_party_id, upper(cdr_id))
    WHERE cdr_id IS NOT NULL;
CREATE UNIQUE INDEX ledger_reversed_once ON ledger_transactions (reverses)
    WHERE reverses IS NOT NULL;

CREATE TABLE ledger_entries (
    transaction_id bigint NOT NULL REFERENCES ledger_transactions (id),
    account        text NOT NULL
        CONSTRAINT ledger_account_kind CHECK (account IN ('receivable', 'payable', 'fees', 'cash')),
    country_code   text NOT NULL,  -- the account's party, upper case
    party_id       text NOT NULL,
    currency       text NOT NULL CHECK (currency <> ''),
    amount         numeric NOT NULL CHECK (amount NOT IN ('NaN', 'Infinity', '-Infinity')),
    PRIMARY KEY (transaction_id, account, country_code, party_id, currency)
);
CREATE INDEX ledger_entries_party ON ledger_entries (country_code, party_id, transaction_id);

-- Each statement that adds entries adds, to each transaction, entries summing to zero in each
-- currency. Entries are never changed or removed (below), so every transaction sums to zero:
-- a transaction's entries are written in one statement.
CREATE FUNCTION ledger_entries_balance() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    SELECT transaction_id, currency, sum(amount) AS total INTO bad
      FROM added
     GROUP BY transaction_id, currency
    HAVING sum(amount) <> 0
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger transaction % sums to % %, not zero',
            bad.transaction_id, bad.total, bad.currency
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER ledger_entries_balanced AFTER INSERT ON ledger_entries
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_balance();

-- The books are never rewritten: a mistake is corrected by a transaction that reverses it.
CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only: % of % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER ledger_transactions_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger_transactions
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_entries_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();

-- A payment (kind payment) received from or made to a party, under the operator's reference,
-- recorded once per party.
CREATE TABLE ledger_payments (
    transaction_id bigint PRIMARY KEY REFERENCES ledger_transactions (id),
    country_code   text NOT NULL,
    party_id       text NOT NULL,
    reference      text NOT NULL CHECK (reference <> ''),
    UNIQUE (country_code, party_id, reference)
);

-- A credit CDR stored before the CDR it credits (pulled out of order, say): its reversal is
-- booked when that CDR is. One per credited CDR: a transaction is reversed once.
CREATE TABLE ledger_awaited_credits (
    country_code text NOT NULL,  -- the CPO owning both CDRs
    party_id     text NOT NULL,
    credited_id  text NOT NULL,  -- upper case
    credit_id    text NOT NULL,  -- as sent
    stored_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (country_code, party_id, credited_id)
);

-- The hub's fee on the CDRs between two parties (core.agreements.FeeAgreement), the pair in
-- order as in agreements; no row: no fee.
CREATE TABLE fee_schedules (
    between_country_code text NOT NULL,
    between_party_id     text NOT NULL,
    and_country_code     text NOT NULL,
    and_party_id         text NOT NULL,
    percent              numeric NOT NULL CHECK (percent >= 0 AND percent <= 100),
    fixed                numeric NOT NULL CHECK (fixed >= 0),
    currency             text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    set_at               timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (between_country_code, between_party_id, and_country_code, and_party_id),
    CHECK ((between_country_code, between_party_id) < (and_country_code, and_party_id)),
    CHECK (percent > 0 OR fixed > 0)
);
-- Loaded with the agreements by every hub process, and announced as they are (0010).
CREATE TRIGGER fee_schedules_changed
    AFTER INSERT OR UPDATE OR DELETE ON fee_schedules
    FOR EACH STATEMENT EXECUTE FUNCTION notify_agreements_changed();
