"""`python -m ocpi_hub` is `ocpi-hub`."""

import sys

from ocpi_hub.cli import main

sys.exit(main())
