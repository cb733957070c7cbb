-- OCPI 2.1.1 names a Session's or CDR's driver by the Token's contract id only (`auth_id`):
-- the hub finds the Token, and with it the eMSP, by that id (issue 11).
CREATE INDEX objects_token_contract ON objects (upper(data->>'contract_id'))
    WHERE module = 'tokens';

-- A 2.1.1 peer the hub connects to (`connect --role`) reads the hub's 2.1.1 version details
-- before its credentials name its party, and 2.1.1 details depend on the reader's role.
ALTER TABLE platforms ADD COLUMN connecting_role text;
