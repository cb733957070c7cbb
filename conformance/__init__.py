"""A black-box conformance suite for any OCPI 2.2.1 endpoint: ours, a partner's, another hub.

It talks to the endpoint under test only over HTTP, as a registered party would, and judges
what it sees against the spec (through the project's checklist,
`reference/ocpi-2.2.1-checklist.md`), never against ocpi-hub's own code: nothing here imports
the hub. Run it as `ocpi-hub conformance --help` (or `python -m conformance`).

Layout: `model` (Outcome, Exchange, Check, Result), `client` (recording HTTP client), `peer`
(the suite's own OCPI party for callbacks), `register` (token A → B → C), `spec`/`validate`
(the spec's object tables and a validator), `lists` (Sender list walks), `checks/` (one module
per area, registered per role), `runner`, `report`, `cli`.
"""
