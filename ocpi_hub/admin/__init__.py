"""The operator's side of the hub (issue 12): the admin API under /admin/api/, the console
under /console/ and /metrics, all behind operator tokens (`ocpi-hub operators create`), never
OCPI ones. Every action is an `ocpi_hub.operations` function, shared with the CLI."""
