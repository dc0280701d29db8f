"""A throwaway PostgreSQL server for the register tests, from the machine's own packages.

``DUALREL_TEST_POSTGRES_URL`` names a server to use instead (a URL whose user may create
databases). Otherwise the first ``initdb`` found under ``/usr/lib/postgresql/*/bin`` (or
``DUALREL_POSTGRES_BIN``) makes a cluster in a temporary folder, started on a unix
socket there and a free port; as root, it runs as the ``postgres`` user the Debian
package creates. Each test gets a database of its own.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

URL_ENV = "DUALREL_TEST_POSTGRES_URL"
BIN_ENV = "DUALREL_POSTGRES_BIN"


class Unavailable(Exception):
    """No PostgreSQL server can be had; the message says why and what to install."""


def _bin_dir() -> Path:
    given = os.environ.get(BIN_ENV)
    candidates = [Path(given)] if given else []
    candidates += (
        sorted(
            Path("/usr/lib/postgresql").glob("*/bin"),
            key=lambda p: int(p.parent.name),
            reverse=True,
        )
        if Path("/usr/lib/postgresql").is_dir()
        else []
    )
    for c in candidates:
        if (c / "initdb").exists() and (c / "pg_ctl").exists():
            return c
    raise Unavailable(
        "PostgreSQL is not installed (apt-get install postgresql, as .ci/run does) "
        f"and {URL_ENV} is not set"
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_server_user(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    try:
        pwd.getpwnam("postgres")
    except KeyError as exc:
        raise Unavailable(
            "running as root and there is no postgres user to run the server"
        ) from exc
    return ["runuser", "-u", "postgres", "--", *argv]


@contextmanager
def server() -> Iterator[str]:
    """The admin URL of a running server for the tests' databases."""
    given = os.environ.get(URL_ENV)
    if given:
        yield given
        return
    bins = _bin_dir()
    root = Path(tempfile.mkdtemp(prefix="dualrel-pg-"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        entry = pwd.getpwnam("postgres")
        for p in (root, sock):
            os.chown(p, entry.pw_uid, entry.pw_gid)
    port = _free_port()
    try:
        subprocess.run(
            _as_server_user(
                [
                    str(bins / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                ]
            ),
            check=True,
            capture_output=True,
        )
        options = f"-p {port} -k {sock} -c listen_addresses='' -c fsync=off"
        subprocess.run(
            _as_server_user(
                [
                    str(bins / "pg_ctl"),
                    "-D",
                    str(data),
                    "-o",
                    options,
                    "-w",
                    "-l",
                    str(root / "log"),
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
        )
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(root, ignore_errors=True)
        raise Unavailable(
            f"could not start PostgreSQL: {exc.stderr.decode(errors='replace')}"
        ) from exc
    try:
        yield f"postgresql://postgres@/postgres?host={sock}&port={port}"
    finally:
        subprocess.run(
            _as_server_user([str(bins / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
            check=False,
        )
        shutil.rmtree(root, ignore_errors=True)


def _with_database(url: str, name: str) -> str:
    base, _, query = url.partition("?")
    head = base.rsplit("/", 1)[0]
    return f"{head}/{name}" + (f"?{query}" if query else "")


@contextmanager
def database(admin_url: str) -> Iterator[str]:
    """A new empty database on the server, dropped afterwards."""
    import psycopg  # noqa: PLC0415 (the SQLite half runs without it)

    name = f"dualrel_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_database(admin_url, name)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
