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
SQLAlchemy, Alembic and psycopg are imported only when a register is opened.
"""

from dualrel.register._db import DEFAULT_PATH_HELP, RegisterError, default_path
from dualrel.register._metrics import REGISTER_STATS_FORMAT, render_metrics_text
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
from dualrel.register._register import Register, open_register
from dualrel.register._schema import head_revision

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
