"""The risk register: findings tracked across runs in a database.

A register stores each recorded check (a *run*), each finding by its fingerprint with
its lifecycle (open, acknowledged, in remediation, resolved, reopened, waived), the
remediation steps of its current episode (due date, assignee, completion) and every
change with who made it and when. A finding missing from a later run of its rules is
resolved by that run; one that comes back is reopened, its history kept. Unresolved
findings escalate a level once a step is overdue past the days their ruleset allows.

SQLite is the embedded default (one file, owner-only); PostgreSQL serves teams through a
``postgresql://`` URL (``pip install 'dualrel[postgresql]'``). The schema is versioned
by Alembic migrations shipped here and applied on opening. Only ids, fingerprints,
codes and dates are stored, besides the notes committee members write themselves.

>>> import tempfile, dualrel
>>> from dualrel.register import open_register
>>> result = dualrel.run_check(dualrel.example_registry(), ["coaching-core"])
>>> with tempfile.TemporaryDirectory() as d, open_register(f"{d}/r.sqlite") as reg:
...     recorded = reg.record(result, by="ci")
...     len(recorded.opened) == len(result.findings), reg.findings()[0].status
(True, 'open')

``docs/register.md`` describes the model, the lifecycle, escalation and the databases.
SQLAlchemy and Alembic are imported on first use of a name that needs them (``Register``,
``open_register``, ``head_revision``, the metrics), psycopg only for PostgreSQL.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from dualrel.register._model import (
    CLOSED_STATUSES,
    EVENT_KINDS,
    STATUSES,
    Escalation,
    Event,
    EventKind,
    RecordedRun,
    RegisterFinding,
    Run,
    Status,
    Step,
)
from dualrel.register._paths import DEFAULT_PATH_HELP, RegisterError, default_path

if TYPE_CHECKING:
    from dualrel.register._metrics import REGISTER_STATS_FORMAT, render_metrics_text
    from dualrel.register._register import Register, open_register
    from dualrel.register._schema import head_revision

#: Name -> the module that defines it, imported (with SQLAlchemy) on first use.
_LAZY = {
    "REGISTER_STATS_FORMAT": "dualrel.register._metrics",
    "render_metrics_text": "dualrel.register._metrics",
    "Register": "dualrel.register._register",
    "open_register": "dualrel.register._register",
    "head_revision": "dualrel.register._schema",
}

__all__ = [
    "CLOSED_STATUSES",
    "DEFAULT_PATH_HELP",
    "EVENT_KINDS",
    "REGISTER_STATS_FORMAT",
    "STATUSES",
    "Escalation",
    "Event",
    "EventKind",
    "RecordedRun",
    "Register",
    "RegisterError",
    "RegisterFinding",
    "Run",
    "Status",
    "Step",
    "default_path",
    "head_revision",
    "open_register",
    "render_metrics_text",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'dualrel.register' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
