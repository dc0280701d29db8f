"""Reading a ``YYYY-MM-DD`` date (private).

Every reader of a date (the registry's ``as_of``, a waiver's ``expires``, ``--as-of``)
parses it here and raises its own error, worded for where the date was written.
"""

from __future__ import annotations

import re
from datetime import date, datetime

__all__ = ["date_value", "iso_date"]

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def iso_date(text: str) -> date | None:
    """The date ``text`` spells as ``YYYY-MM-DD``, or ``None`` when it spells none.

    >>> iso_date("2025-03-01"), iso_date("2025-13-01")
    (datetime.date(2025, 3, 1), None)
    """
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def date_value(value: object) -> date | None:
    """The date an attribute value holds: a date, or text spelling ``YYYY-MM-DD`` exactly;
    ``None`` for anything else (a number, other text, a date and time).

    >>> date_value("2025-03-01"), date_value("20250301"), date_value(20250301)
    (datetime.date(2025, 3, 1), None, None)
    """
    if isinstance(value, datetime):
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO.match(value):
        return iso_date(value)
    return None
