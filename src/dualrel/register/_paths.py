"""Where a register is (private, free of SQLAlchemy so the command line can name it
without loading it): the default SQLite file, reading a register URL, the error."""

from __future__ import annotations

import os
from pathlib import Path

from dualrel.errors import DualrelError

__all__ = ["DEFAULT_PATH_HELP", "RegisterError", "default_path", "engine_url"]

DEFAULT_PATH_HELP = "$XDG_DATA_HOME/dualrel/register.sqlite (~/.local/share when unset)"


class RegisterError(DualrelError):
    """The register cannot be opened or changed as asked: an unknown URL scheme, a schema
    newer than this dualrel, an unknown finding, a change its status does not allow."""


def default_path() -> Path:
    """Where ``--register`` without a URL keeps its SQLite file."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "dualrel" / "register.sqlite"


def engine_url(url: str | os.PathLike[str] | None) -> tuple[str, Path | None]:
    """The SQLAlchemy URL for ``url`` and, for SQLite, the file.

    A plain path or ``sqlite:///PATH`` is a SQLite file (relative as SQLAlchemy reads it:
    ``sqlite:////abs/path`` for an absolute one); ``postgresql://`` (or
    ``postgres://``) is PostgreSQL through psycopg 3.

    >>> engine_url("postgresql://u@db/reg")
    ('postgresql+psycopg://u@db/reg', None)
    >>> engine_url("sqlite:////tmp/r.sqlite")  # four slashes: an absolute path
    ('sqlite:////tmp/r.sqlite', PosixPath('/tmp/r.sqlite'))
    """
    text = str(default_path() if url is None else url)
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if text.startswith(prefix):
            return "postgresql+psycopg://" + text[len(prefix) :], None
    if text.startswith("sqlite:///"):
        path = Path(text[len("sqlite:///") :])
    elif "://" in text:
        scheme = text.split("://", 1)[0]
        raise RegisterError(
            f"unsupported register URL scheme {scheme!r}: give a SQLite file path, "
            "sqlite:///PATH or postgresql://..."
        )
    else:
        path = Path(text)
    path = path.expanduser().absolute()
    return f"sqlite:///{path}", path
