"""Reading a ``YYYY-MM-DD`` date, and the calendar's bounds (private).

Every reader of a date (the registry's ``as_of``, a waiver's ``expires``, ``--as-of``)
parses it here and raises its own error, worded for where the date was written.

Python's dates end at years 1 and 9999, and adding days past either end raises
``OverflowError``.  So whatever adds days to a date is bounded here, once: no count of days
a rule or an option gives exceeds :data:`MAX_DAYS`, and no evaluation date lies within
:data:`MAX_DAYS` of either end of the calendar (:data:`EARLIEST_AS_OF`,
:data:`LATEST_AS_OF`).  A due date (``as_of`` plus ``within_days``) and a horizon
(``as_of`` plus ``--expiring-days``) then always exist.
"""

from __future__ import annotations

import re
from datetime import date, datetime

__all__ = [
    "EARLIEST_AS_OF",
    "LATEST_AS_OF",
    "MAX_DAYS",
    "as_of_out_of_range",
    "date_value",
    "days_out_of_range",
    "iso_date",
]

#: The most days a rule or an option adds to a date or compares dates by (``within_days``,
#: a ``where`` offset in days, ``stats --expiring-days``): a hundred years.
MAX_DAYS = 36_500
#: The earliest and latest evaluation dates: :data:`MAX_DAYS` before or after either stays
#: inside the calendar (years 1 to 9999).
EARLIEST_AS_OF = date(101, 1, 1)
LATEST_AS_OF = date(9899, 12, 31)

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


def as_of_out_of_range(value: date) -> str | None:
    """Why ``value`` cannot be an evaluation date, or ``None`` when it can.

    >>> as_of_out_of_range(date(2026, 11, 26)) is None
    True
    >>> as_of_out_of_range(date(9999, 12, 31))
    'evaluation date 9999-12-31 is out of range: it must lie from 0101-01-01 to 9899-12-31'
    """
    if EARLIEST_AS_OF <= value <= LATEST_AS_OF:
        return None
    return (
        f"evaluation date {value.isoformat()} is out of range: it must lie from "
        f"{EARLIEST_AS_OF.isoformat()} to {LATEST_AS_OF.isoformat()}"
    )


def days_out_of_range(days: float, what: str) -> str | None:
    """Why ``days`` cannot be a count of days added to a date, or ``None`` when it can.

    >>> days_out_of_range(730, "within_days") is None
    True
    >>> days_out_of_range(999999999, "within_days")
    'within_days 999999999 is out of range: at most 36500 days (a hundred years)'
    """
    if -MAX_DAYS <= days <= MAX_DAYS:
        return None
    shown = int(days) if float(days).is_integer() else days
    return f"{what} {shown} is out of range: at most {MAX_DAYS} days (a hundred years)"
