-- Hubject EVSE data (issue 10): OICP requires a hotline phone number on every EVSE data record,
-- which OCPI does not carry: the operator gives it at `hubject enable --hotline`.
ALTER TABLE hubject_parties ADD COLUMN hotline text;
