"""The first register schema: runs, findings, steps, events, rules.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: tuple[str, ...] | None = None
depends_on: tuple[str, ...] | None = None


def upgrade() -> None:
    op.create_table(
        "dualrel_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("registry_sha256", sa.String(64), nullable=False),
        sa.Column("rulesets", sa.Text, nullable=False),
        sa.Column("findings", sa.Integer, nullable=False),
    )
    op.create_table(
        "dualrel_findings",
        sa.Column("fingerprint", sa.String(64), primary_key=True),
        sa.Column("ruleset", sa.String(200), nullable=False),
        sa.Column("rule", sa.String(200), nullable=False),
        sa.Column("rule_level", sa.Integer, nullable=False),
        sa.Column("level", sa.Integer, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("subjects", sa.Text, nullable=False),
        sa.Column("evidence", sa.Text, nullable=False),
        sa.Column("first_seen", sa.Date, nullable=False),
        sa.Column("last_seen", sa.Date, nullable=False),
        sa.Column("first_run", sa.Integer, sa.ForeignKey("dualrel_runs.id"), nullable=False),
        sa.Column("last_run", sa.Integer, sa.ForeignKey("dualrel_runs.id"), nullable=False),
        sa.Column("opened_on", sa.Date, nullable=False),
        sa.Column("resolved_on", sa.Date),
    )
    op.create_index("dualrel_findings_status", "dualrel_findings", ["status"])
    op.create_table(
        "dualrel_steps",
        sa.Column(
            "fingerprint",
            sa.String(64),
            sa.ForeignKey("dualrel_findings.fingerprint"),
            primary_key=True,
        ),
        sa.Column("step", sa.Integer, primary_key=True),
        sa.Column("owner", sa.String(40), nullable=False),
        sa.Column("within_days", sa.Integer, nullable=False),
        sa.Column("due", sa.Date, nullable=False),
        sa.Column("assignee", sa.String(200)),
        sa.Column("completed_on", sa.Date),
        sa.Column("completed_by", sa.String(200)),
        sa.Column("completed_at", sa.DateTime),
        sa.Column("note", sa.Text),
    )
    op.create_table(
        "dualrel_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "fingerprint",
            sa.String(64),
            sa.ForeignKey("dualrel_findings.fingerprint"),
            nullable=False,
        ),
        sa.Column("run", sa.Integer, sa.ForeignKey("dualrel_runs.id")),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("on_date", sa.Date, nullable=False),
        sa.Column("by", sa.String(200), nullable=False),
        sa.Column("from_status", sa.String(20)),
        sa.Column("to_status", sa.String(20)),
        sa.Column("level", sa.Integer, nullable=False),
        sa.Column("step", sa.Integer),
        sa.Column("due", sa.Date),
        sa.Column("detail", sa.Text),
    )
    op.create_index("dualrel_events_fingerprint", "dualrel_events", ["fingerprint"])
    op.create_table(
        "dualrel_rules",
        sa.Column("ruleset", sa.String(200), primary_key=True),
        sa.Column("rule", sa.String(200), primary_key=True),
        sa.Column("level_1_days", sa.Integer),
        sa.Column("level_2_days", sa.Integer),
        sa.Column("run", sa.Integer, sa.ForeignKey("dualrel_runs.id"), nullable=False),
    )


def downgrade() -> None:
    for table in ("dualrel_rules", "dualrel_events", "dualrel_steps", "dualrel_findings"):
        op.drop_table(table)
    op.drop_table("dualrel_runs")
