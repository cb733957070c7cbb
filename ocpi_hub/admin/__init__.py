"""The operator's side of the hub (issue 12): the admin API under /admin/api/, the console
under /console/ and /metrics, all behind operator tokens (`ocpi-hub operators create`), never
OCPI ones. Every action is an `ocpi_hub.operations` function, shared with the CLI."""

# The API first: its resource modules (api_money, ...) build on its seam and it joins their
# endpoints, so whichever of them is imported first, the seam is complete before they are.
from ocpi_hub.admin import api  # noqa: F401
