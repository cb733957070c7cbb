"""Hubject's OICP 2.3 ⇄ the hub's OCPI 2.2.1, as translations (issue 10).

The hub meets Hubject as one more network platform with its own dialect: inside, everything
speaks OCPI 2.2.1; at the edge, each object is translated by one module here, sans I/O:
- `ids`: OperatorID / ProviderID / EvseID / EvcoID (ISO and DIN forms) ⇄ OCPI party keys;
- `status`: EVSE status ⇄ OCPI EVSE status;
- `evse_data` (with `evse_location`): OCPI Location → EVSE data and status records (as CPO);
- `evse_pull` (with `evse_pull_evse`): EVSE data and status pulls → OCPI Locations (as EMP);
- `evse_fields`: the value tables both share (plugs, capabilities, address, time zones, ...);
- `pricing`: OCPI Tariff → pricing products and EVSE pricing;
- `authorization`: OCPI real-time authorization ⇄ AuthorizeStart / AuthorizeStop;
- `remote`: OCPI START_SESSION / STOP_SESSION ⇄ AuthorizeRemoteStart / Stop;
- `cdr`: OCPI CDR ⇄ OICP ChargeDetailRecord;
- `metering`: a CDR's signed_data ⇄ SignedMeteringValues and CalibrationLawVerificationInfo;
- `identification`: OICP Identification ⇄ the OCPI token (authorization, remote, cdr);
- `status_codes`: OICP StatusCode ⇄ OCPI status codes and AuthorizationInfo values.
Each returns what it made and the `dialects.losses.Loss`es of what it could not carry.
Where Hubject's documents disagree on a spelling, readers accept both and writers use the
AsciiDoc spec's (hub-dialects.md §5.6).
"""
