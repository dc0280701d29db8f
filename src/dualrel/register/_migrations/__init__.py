"""The register's schema migrations (Alembic revisions in ``versions``), run by
:mod:`dualrel.register._db` on opening a register, never by hand."""

from pathlib import Path

__all__ = ["MIGRATIONS_DIR"]

MIGRATIONS_DIR = Path(__file__).resolve().parent
