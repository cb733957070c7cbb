"""The OICP bridge (issue 10): Hubject seen by the hub as one more OCPI network.

- `client`: OICP over mutual TLS to Hubject, Hubject's rate limits, one push at a time.
- `bridge`: the hub's client hands it every OCPI request to the Hubject platform
  (`PeerClient.bridges`); it runs the OICP operations they mean (translations in
  `dialects.oicp`) and answers in OCPI, so the outbox, the relay and the puller need not know.
- `ocpi_hub.web.oicp`: Hubject's calls to the hub, translated into OCPI requests to the hub's
  own OCPI interface, made as the Hubject platform.
"""
