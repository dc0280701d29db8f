"""Reading a ``YYYY-MM-DD`` date (private).

Every reader of a date (the registry's ``as_of``, a waiver's ``expires``, ``--as-of``)
parses it here and raises its own error, worded for where the date was written.
"""

from __future__ import annotations

from datetime import date

__all__ = ["iso_date"]


def iso_date(text: str) -> date | None:
    """The date ``text`` spells as ``YYYY-MM-DD``, or ``None`` when it spells none.

    >>> iso_date("2025-03-01"), iso_date("2025-13-01")
    (datetime.date(2025, 3, 1), None)
    """
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None
