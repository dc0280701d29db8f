"""Writing many rows at once (private): one driver-level ``executemany`` per statement.

SQLAlchemy Core's executemany binds every row through its type processors one by one,
which at 100k people cost more than the check itself (``benchmarks/bench_register.py``).
Here the statement is built once from the table's own (quoted) column names and the
rows go to the driver as tuples, dates spelled as SQLAlchemy stores them in SQLite.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Date, DateTime, Table

__all__ = ["insert_rows", "update_rows"]


def _sqlite_value(value: Any) -> Any:
    # as SQLAlchemy's SQLite DATE and DATETIME types write them, so its reads parse them
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _tuples(
    conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]
) -> list[tuple[Any, ...]]:
    """The rows as the driver takes them; on SQLite the date columns spelled as text (a
    run's rows share a few dates: each is spelled once)."""
    if conn.dialect.name != "sqlite":
        return [tuple(r[c] for c in columns) for r in rows]
    spelled: dict[Any, Any] = {}

    def spell(value: Any) -> Any:
        if value is None:
            return None
        out = spelled.get(value)
        if out is None:
            out = spelled[value] = _sqlite_value(value)
        return out

    dated = [isinstance(table.c[c].type, Date | DateTime) for c in columns]
    return [
        tuple(spell(r[c]) if d else r[c] for c, d in zip(columns, dated, strict=True)) for r in rows
    ]


def _marks(conn: Connection) -> tuple[str, Any]:
    return ("?" if conn.dialect.name == "sqlite" else "%s"), conn.dialect.identifier_preparer.quote


def insert_rows(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys, all columns of ``table``)."""
    if not rows:
        return
    mark, quote = _marks(conn)
    columns = list(rows[0])
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({', '.join([mark] * len(columns))})"
    )
    conn.exec_driver_sql(sql, _tuples(conn, table, columns, rows))


def update_rows(
    conn: Connection, table: Table, keys: Sequence[str], rows: Sequence[Mapping[str, Any]]
) -> None:
    """Set the other columns of each row where its ``keys`` columns equal its values."""
    if not rows:
        return
    mark, quote = _marks(conn)
    columns = [c for c in rows[0] if c not in keys]
    sql = (
        f"UPDATE {quote(table.name)} SET {', '.join(f'{quote(c)} = {mark}' for c in columns)} "
        f"WHERE {' AND '.join(f'{quote(k)} = {mark}' for k in keys)}"
    )
    conn.exec_driver_sql(sql, _tuples(conn, table, [*columns, *keys], rows))
