"""ocpi-hub: an OCPI 2.2.1 roaming hub and peer server."""
