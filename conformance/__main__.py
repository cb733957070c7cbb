"""`python -m conformance`: the suite without the rest of ocpi-hub's command line."""

import sys

from conformance.cli import main

sys.exit(main(prog="python -m conformance"))
