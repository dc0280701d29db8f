"""The register's schema version (private): made or upgraded on opening, refused when
newer than this dualrel knows.

The revisions are Alembic's, in ``_migrations/versions``; they are run here, inside the
opening write transaction, so two processes opening a new register at once make it once.
"""

from __future__ import annotations

from typing import Any

from alembic.migration import MigrationContext
from alembic.operations import Operations
from alembic.script import ScriptDirectory
from alembic.util import CommandError

from dualrel.register._db import writing
from dualrel.register._migrations import MIGRATIONS_DIR
from dualrel.register._paths import RegisterError

__all__ = ["head_revision", "prepare", "revision_of"]


def _scripts() -> Any:
    return ScriptDirectory(
        str(MIGRATIONS_DIR), version_locations=[str(MIGRATIONS_DIR / "versions")]
    )


def head_revision() -> str:
    """The newest schema revision this dualrel knows."""
    head = _scripts().get_current_head()
    assert head is not None
    return str(head)


def revision_of(conn: Any) -> str | None:
    """The register's schema revision; ``None`` for an empty database."""
    current = MigrationContext.configure(conn).get_current_revision()
    return None if current is None else str(current)


def prepare(engine: Any, where: str) -> None:
    """Make the register's tables, or upgrade them to this version's schema; refuse a
    register whose schema is newer than this dualrel knows (``where`` names it)."""

    scripts = _scripts()
    head = head_revision()
    with engine.connect() as probe:  # the common case, read-only: already up to date
        if revision_of(probe) == head:
            return
    with writing(engine) as conn:
        context = MigrationContext.configure(conn)
        current = context.get_current_revision()
        if current == head:
            return
        try:
            known = current is None or scripts.get_revision(current) is not None
        except CommandError:
            known = False
        if not known:
            raise RegisterError(
                f"the register {where} has schema revision {current}, newer than this "
                f"dualrel knows (its newest is {head}): upgrade dualrel to open it; "
                "the register was left unchanged"
            )
        todo = list(scripts.walk_revisions(base=current or "base", head=head))
        todo.reverse()  # walk_revisions goes newest first
        with Operations.context(context):
            for script in todo:
                if script.revision == current:
                    continue
                script.module.upgrade()
        context.stamp(scripts, head)
