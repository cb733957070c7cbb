"""The server under the application (web/server.py): the connection cap fits the open-file
limit, and `serve` raises the soft limit where the hard limit allows."""

from __future__ import annotations

import resource
import subprocess
import sys
import textwrap

from ocpi_hub.web.server import RESERVED_FILES, connection_cap


def test_the_cap_leaves_the_hub_its_own_open_files() -> None:
    """OCPI_HUB_MAX_CONNECTIONS is lowered to leave RESERVED_FILES (or half the limit) free."""
    assert connection_cap(4096, 1 << 20) == 4096
    assert connection_cap(4096, 1024) == 1024 - RESERVED_FILES == 768
    assert connection_cap(4096, 256) == 128
    assert connection_cap(10, 1024) == 10


def test_the_soft_open_file_limit_is_raised_to_the_hard_limit() -> None:
    """A process started with a soft limit of 256 under a higher hard limit runs with the hard
    limit once serve has raised it (checked in a child: limits are per process)."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    child = textwrap.dedent(
        f"""
        import resource
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, {hard}))
        from ocpi_hub.web.server import raise_open_file_limit
        print(raise_open_file_limit(), resource.getrlimit(resource.RLIMIT_NOFILE)[0])
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", child], capture_output=True, text=True, check=True, timeout=60
    )
    expected = hard if hard != resource.RLIM_INFINITY else 1 << 20
    assert done.stdout.split() == [str(expected), str(expected)]
