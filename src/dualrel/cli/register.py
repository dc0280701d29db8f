"""``dualrel register``: read and change the register of findings tracked across runs;
and :func:`record_in_register`, what ``dualrel check --register`` does after checking.

The register is :mod:`dualrel.register`, imported (with SQLAlchemy) only when a register
command runs. Output is ids, fingerprints, codes, dates and counts; ``show`` also prints
the notes committee members wrote.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import textwrap
from dataclasses import asdict
from datetime import date
from typing import Any

from dualrel._internal.terminal import PrintableStream, printable
from dualrel.cli._shared import (
    EXIT_OK,
    Subparsers,
    emit,
    guarded,
    iso_date_arg,
    positive_int_arg,
)
from dualrel.findings import CheckResult
from dualrel.register import (
    DEFAULT_PATH_HELP,
    STATUSES,
    Event,
    RegisterFinding,
)

__all__ = [
    "DEFAULT_PATH_HELP",
    "DEFAULT_REGISTER",
    "add_command",
    "open_cli_register",
    "record_in_register",
]

#: ``--register`` given without a URL: the default SQLite file.
DEFAULT_REGISTER = ""


def open_cli_register(url: str | None) -> Any:
    """The register ``--register`` names ("" for the default file)."""
    from dualrel.register import open_register  # noqa: PLC0415 (SQLAlchemy on use only)

    return open_register(url or None)


def record_in_register(result: CheckResult, url: str, by: str | None) -> None:
    """Record a check's result in the register at ``url`` ("" for the default file)
    and say what changed on stderr."""
    with open_cli_register(url) as reg:
        done = reg.record(result, by=by or _login())
        sys.stderr.write(
            f"dualrel: recorded run {done.run.id} in {printable(reg.url)}: "
            f"{len(done.opened)} opened, "
            f"{len(done.reopened)} reopened, {len(done.resolved)} resolved, "
            f"{len(done.waived)} waived, {len(done.escalations)} escalation(s)\n"
        )


def _login() -> str:
    """The login name, which ``check --register`` records a run by without ``--by``."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in the environment or the password file
        return "unknown"


def add_command(sub: Subparsers) -> None:
    p = sub.add_parser(
        "register",
        help="the register of findings tracked across runs: list, show, change, escalate",
        description=textwrap.fill(
            "Findings recorded by 'dualrel check --register', tracked across runs by "
            "fingerprint: their status (open, acknowledged, in-remediation, resolved, "
            "reopened, waived), remediation steps and every change, attributed. See "
            "docs/register.md.",
            width=88,
        ),
        epilog="exit codes:\n  0  done\n  2  bad usage, unknown finding, a change its status "
        "does not allow, a register this dualrel cannot open\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = p.add_subparsers(dest="register_command", metavar="SUBCOMMAND", required=True)

    def add(name: str, help_text: str, handler: Any, *, by: bool = True) -> argparse.ArgumentParser:
        q: argparse.ArgumentParser = commands.add_parser(
            name, help=help_text, description=help_text
        )
        q.add_argument(
            "--register",
            metavar="URL",
            default=DEFAULT_REGISTER,
            help=f"SQLite file, sqlite:///PATH or postgresql://... (default {DEFAULT_PATH_HELP})",
        )
        if by:
            q.add_argument("--by", metavar="WHO", required=True, help="who makes the change")
        q.set_defaults(handler=guarded(handler, records=False))
        return q

    q = add("list", "list findings (every filter given must match)", _list, by=False)
    q.add_argument("--status", action="append", choices=STATUSES, default=[], help="repeatable")
    q.add_argument("--level", action="append", type=int, choices=(1, 2, 3), default=[])
    q.add_argument("--rule", action="append", default=[], metavar="RULE", help="[ruleset/]rule")
    q.add_argument("--assignee", metavar="ID", help="a step is assigned to this person id")
    q.add_argument("--overdue", action="store_true", help="a step is overdue (see --as-of)")
    q.add_argument("--as-of", type=iso_date_arg, metavar="DATE", help="for --overdue (today)")
    q.add_argument("--json", action="store_true", help="print JSON")

    q = add("show", "a finding, its steps and its history", _show, by=False)
    q.add_argument("fingerprint", metavar="FINGERPRINT", help="the fingerprint or its start")
    q.add_argument("--json", action="store_true", help="print JSON")

    for name, help_text, handler in (
        ("acknowledge", "acknowledge an open or reopened finding", _acknowledge),
        ("resolve", "resolve a finding by hand", _resolve),
        ("reopen", "reopen a resolved finding (its steps are due again from today)", _reopen),
    ):
        q = add(name, help_text, handler)
        q.add_argument("fingerprint", metavar="FINGERPRINT")
        q.add_argument("--note", metavar="TEXT", help="a note kept in the history")

    q = add("assign", "assign a step (or every uncompleted step) to a person id", _assign)
    q.add_argument("fingerprint", metavar="FINGERPRINT")
    q.add_argument("assignee", metavar="ID")
    q.add_argument("--step", type=positive_int_arg, metavar="N", help="only step N (from 1)")

    q = add("complete", "mark a remediation step done", _complete)
    q.add_argument("fingerprint", metavar="FINGERPRINT")
    q.add_argument("step", type=positive_int_arg, metavar="STEP")
    q.add_argument("--note", metavar="TEXT", help="a note kept with the step")

    q = add("note", "add a note to a finding's history", _note)
    q.add_argument("fingerprint", metavar="FINGERPRINT")
    q.add_argument("text", metavar="TEXT")

    q = add("escalate", "raise findings whose steps are overdue past their rule's days", _escalate)
    q.add_argument("--as-of", type=iso_date_arg, metavar="DATE", help="the date (today)")

    q = add("report", "the register dashboard as a self-contained HTML page", _report, by=False)
    q.add_argument("--format", choices=("html",), default="html", help="html (the only one)")
    q.add_argument("-o", "--output", metavar="FILE", help="write to FILE (atomically)")
    q.add_argument("--as-of", type=iso_date_arg, metavar="DATE", help="the date (today)")
    q.add_argument("--period", choices=("month", "week"), default="month")


def _out(text: str) -> None:
    # ids, assignees and notes are typed by people: shown, never obeyed by the terminal
    PrintableStream(sys.stdout).write(text)


def _finding_json(f: RegisterFinding) -> dict[str, Any]:
    data = asdict(f)
    data["subjects"] = dict(f.subjects)
    out: dict[str, Any] = json.loads(json.dumps(data, default=str))
    return out


def _list(args: argparse.Namespace) -> int:
    as_of = args.as_of or date.today()
    with open_cli_register(args.register) as reg:
        found = reg.findings(
            status=args.status,
            level=args.level,
            rule=args.rule,
            assignee=args.assignee,
            overdue_on=as_of if args.overdue else None,
        )
    if args.json:
        _out(json.dumps([_finding_json(f) for f in found], indent=2) + "\n")
        return EXIT_OK
    for f in found:
        late = len(f.overdue_steps(as_of))
        who = ",".join(sorted({s.assignee for s in f.steps if s.assignee})) or "-"
        _out(
            f"{f.fingerprint}  L{f.level}  {f.status:<14} {f.qualified_rule}  "
            f"since {f.opened_on.isoformat()}  overdue {late}  assignees {who}\n"
        )
    _out(f"{len(found)} finding(s)\n")
    return EXIT_OK


def _event_line(e: Event) -> str:
    parts = [e.on.isoformat(), e.kind, f"by {e.by}"]
    if e.run is not None:
        parts.append(f"run {e.run}")
    if e.to_status and e.to_status != e.from_status:
        parts.append(f"{e.from_status or '-'} -> {e.to_status}")
    parts.append(f"level {e.level}")
    if e.step is not None:
        parts.append(f"step {e.step}")
    if e.detail:
        parts.append(f"({e.detail})")
    return "  " + "  ".join(parts) + "\n"


def _show(args: argparse.Namespace) -> int:
    with open_cli_register(args.register) as reg:
        f = reg.finding(args.fingerprint)
        events = reg.history(f.fingerprint)
    if args.json:
        data = _finding_json(f)
        data["history"] = json.loads(json.dumps([asdict(e) for e in events], default=str))
        _out(json.dumps(data, indent=2) + "\n")
        return EXIT_OK
    subjects = ", ".join(f"{k}={v}" for k, v in sorted(f.subjects.items()))
    _out(
        f"finding {f.fingerprint}\n"
        f"  rule {f.qualified_rule}  level {f.level} (rule level {f.rule_level})  {f.status}\n"
        f"  subjects {subjects}\n  evidence {', '.join(f.evidence)}\n"
        f"  first seen {f.first_seen.isoformat()}  last seen {f.last_seen.isoformat()}  "
        f"episode since {f.opened_on.isoformat()}"
        + (f"  resolved {f.resolved_on.isoformat()}" if f.resolved_on else "")
        + "\nsteps:\n"
    )
    for s in f.steps:
        done = (
            f"done {s.completed_on.isoformat()} by {s.completed_by}"
            if s.completed_on
            else "not done"
        )
        _out(
            f"  {s.step}. {s.owner}  due {s.due.isoformat()}  assignee {s.assignee or '-'}  "
            f"{done}\n"
        )
    _out("history:\n")
    for e in events:
        _out(_event_line(e))
    return EXIT_OK


def _said(f: RegisterFinding) -> int:
    _out(f"{f.fingerprint}  L{f.level}  {f.status}\n")
    return EXIT_OK


def _acknowledge(args: argparse.Namespace) -> int:
    with open_cli_register(args.register) as reg:
        return _said(reg.acknowledge(args.fingerprint, by=args.by, note=args.note))


def _resolve(args: argparse.Namespace) -> int:
    with open_cli_register(args.register) as reg:
        return _said(reg.resolve(args.fingerprint, by=args.by, note=args.note))


def _reopen(args: argparse.Namespace) -> int:
    with open_cli_register(args.register) as reg:
        return _said(reg.reopen(args.fingerprint, by=args.by, note=args.note))


def _assign(args: argparse.Namespace) -> int:
    with open_cli_register(args.register) as reg:
        return _said(reg.assign(args.fingerprint, args.assignee, by=args.by, step=args.step))


def _complete(args: argparse.Namespace) -> int:
    with open_cli_register(args.register) as reg:
        return _said(reg.complete(args.fingerprint, args.step, by=args.by, note=args.note))


def _note(args: argparse.Namespace) -> int:
    with open_cli_register(args.register) as reg:
        return _said(reg.note(args.fingerprint, args.text, by=args.by))


def _escalate(args: argparse.Namespace) -> int:
    with open_cli_register(args.register) as reg:
        done = reg.escalate(args.as_of or date.today(), by=args.by)
    for e in done:
        _out(f"{e.fingerprint}  L{e.from_level} -> L{e.to_level}  {e.reason}\n")
    _out(f"{len(done)} escalation(s)\n")
    return EXIT_OK


def _report(args: argparse.Namespace) -> int:
    from dualrel.register.dashboard import render_dashboard  # noqa: PLC0415 (Jinja2 on use)

    with open_cli_register(args.register) as reg:
        page = render_dashboard(reg, as_of=args.as_of or date.today(), period=args.period)
    emit(page, args.output)
    if args.output not in (None, "-"):
        sys.stderr.write(f"dualrel: wrote {args.output}\n")
    return EXIT_OK
