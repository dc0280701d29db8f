"""Connecting to a register (private): the URL, the engine, the file, the schema version.

SQLite (a file, created readable by its owner only) and PostgreSQL (through psycopg 3).
Every write is one transaction that holds the register's write lock from its first
statement: ``BEGIN IMMEDIATE`` on SQLite, a transaction-level advisory lock on
PostgreSQL, so two writers never interleave and a killed one leaves nothing behind.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from dualrel.register._paths import RegisterError, engine_url

__all__ = ["connect", "display_url", "writing"]

#: The advisory lock key every writer of a PostgreSQL register takes ("dualrel" in ASCII).
_PG_LOCK = 0x6475616C72656C

#: Marks a connection (its ``info``) as a writer's while :func:`writing` holds it.
_WRITER = "dualrel.writer"

#: How long a SQLite writer waits for another's transaction to end, in seconds.
_SQLITE_WAIT = 600


def display_url(url: str | os.PathLike[str] | None) -> str:
    """``url`` as it may be printed: a PostgreSQL password is masked.

    >>> display_url("postgresql://u:secret@db/reg")
    'postgresql://u:***@db/reg'
    """
    full, path = engine_url(url)
    if path is not None:
        return str(path)
    return make_url(full).render_as_string(hide_password=True).replace("+psycopg", "", 1)


def _create_file(path: Path) -> None:
    """Make the SQLite file, owner-only, before SQLite does (it would follow the umask)."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:  # another process made it first
        return
    os.close(fd)


def connect(url: str | os.PathLike[str] | None) -> Any:
    """A SQLAlchemy engine for the register at ``url`` (the file made if need be)."""
    full, path = engine_url(url)
    if path is None:
        if importlib.util.find_spec("psycopg") is None:
            raise RegisterError(
                "a PostgreSQL register needs psycopg 3: pip install 'dualrel[postgresql]'"
            )
        return create_engine(full)
    _create_file(path)
    engine = create_engine(full, connect_args={"timeout": _SQLITE_WAIT})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # transactions are begun by hand below (pysqlite's own begin is deferred)
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys = ON")

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # a writer takes the write lock at once, so that what it reads stays true until
        # it commits; a reader's deferred transaction never waits for a writer
        writer = connection.info.get(_WRITER, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")

    return engine


@contextmanager
def writing(engine: Any) -> Iterator[Any]:
    """One write transaction holding the register's lock; committed on leaving, rolled
    back on an exception."""
    with engine.connect() as conn:
        conn.info[_WRITER] = True
        try:
            with conn.begin():
                if engine.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK})
                yield conn
        finally:
            conn.info.pop(_WRITER, None)
