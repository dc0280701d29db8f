"""The register's tables as SQLAlchemy Core sees them (private).

The migrations in ``_migrations/versions`` make them; these objects only name them for
queries. A change of schema is a new migration plus the matching change here.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

__all__ = ["events", "findings", "metadata", "rules", "runs", "steps"]

metadata = MetaData()

#: One row per recorded check: when, by whom, of which registry content (its sha256).
runs = Table(
    "dualrel_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("as_of", Date, nullable=False),
    Column("recorded_at", DateTime, nullable=False),
    Column("recorded_by", String(200), nullable=False),
    Column("registry_sha256", String(64), nullable=False),
    Column("rulesets", Text, nullable=False),  # "id@version" joined by spaces
    Column("findings", Integer, nullable=False),
)

#: One row per finding ever seen, by fingerprint: its current state.
findings = Table(
    "dualrel_findings",
    metadata,
    Column("fingerprint", String(64), primary_key=True),
    Column("ruleset", String(200), nullable=False),
    Column("rule", String(200), nullable=False),
    Column("rule_level", Integer, nullable=False),
    Column("level", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("subjects", Text, nullable=False),  # JSON {role: person id}
    Column("evidence", Text, nullable=False),  # JSON [tie id or section/record id]
    Column("first_seen", Date, nullable=False),
    Column("last_seen", Date, nullable=False),
    Column("first_run", Integer, ForeignKey("dualrel_runs.id"), nullable=False),
    Column("last_run", Integer, ForeignKey("dualrel_runs.id"), nullable=False),
    Column("opened_on", Date, nullable=False),  # start of the current episode
    Column("resolved_on", Date),
)

#: The remediation steps of a finding's current episode.
steps = Table(
    "dualrel_steps",
    metadata,
    Column("fingerprint", String(64), ForeignKey("dualrel_findings.fingerprint"), primary_key=True),
    Column("step", Integer, primary_key=True),  # 1-based, in the rule's order
    Column("owner", String(40), nullable=False),
    Column("within_days", Integer, nullable=False),
    Column("due", Date, nullable=False),
    Column("assignee", String(200)),
    Column("completed_on", Date),
    Column("completed_by", String(200)),
    Column("completed_at", DateTime),
    Column("note", Text),
)

#: Every change, attributed: who, when (the moment) and on which date it counts.
events = Table(
    "dualrel_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("fingerprint", String(64), ForeignKey("dualrel_findings.fingerprint"), nullable=False),
    Column("run", Integer, ForeignKey("dualrel_runs.id")),
    Column("kind", String(30), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("on_date", Date, nullable=False),
    Column("by", String(200), nullable=False),
    Column("from_status", String(20)),
    Column("to_status", String(20)),
    Column("level", Integer, nullable=False),  # the finding's level after the change
    Column("step", Integer),
    Column("due", Date),  # resolved: the episode's latest step due date
    Column("detail", Text),  # a reason (codes and dates) or a committee member's note
)

#: Each rule's escalation days as of the latest run that used it.
rules = Table(
    "dualrel_rules",
    metadata,
    Column("ruleset", String(200), primary_key=True),
    Column("rule", String(200), primary_key=True),
    Column("level_1_days", Integer),
    Column("level_2_days", Integer),
    Column("run", Integer, ForeignKey("dualrel_runs.id"), nullable=False),
)
