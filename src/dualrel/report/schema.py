"""The JSON report format ``dualrel.report/1`` as pydantic models, and reading it back;
the published JSON Schemas of every format dualrel reads or writes.

The published JSON Schema (``dualrel schema report``) is generated from
:class:`ReportDocument`; ``--baseline`` and ``dualrel explain`` read reports through it.
:func:`json_schema` serves it beside the registry, ruleset and stats schemas.
"""

from __future__ import annotations

import json
import os
from datetime import date
from importlib import resources
from typing import Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field

from dualrel._internal import decode, reading
from dualrel._internal.decode import DecodeError
from dualrel.errors import DualrelError, Problem

__all__ = [
    "REPORT_FORMAT",
    "SCHEMAS",
    "CitationModel",
    "FileRefModel",
    "FindingModel",
    "GeneratedForModel",
    "LocationModel",
    "RecordModel",
    "ReportDocument",
    "ReportFileError",
    "ResolvedModel",
    "RuleModel",
    "RuleStepModel",
    "RulesetRefModel",
    "StepModel",
    "SummaryModel",
    "TieModel",
    "WaiverModel",
    "WaiverOutcomeModel",
    "WarningModel",
    "WindowModel",
    "json_schema",
    "load_report",
    "report_json_schema",
]

REPORT_FORMAT = "dualrel.report/1"

Severity = Literal["low", "medium", "high", "critical"]
Level = Literal[1, 2, 3]
Owner = Literal["coach", "supervisor", "manager", "ethics_committee", "external"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RulesetRefModel(_Model):
    id: str
    version: str


class CitationModel(_Model):
    code: str
    clause: str


class StepModel(_Model):
    action: str
    within_days: int = Field(ge=0)
    due: date
    owner: Owner
    assignee: str | None = Field(description="person id of who must act, or null")
    unassigned_reason: str | None = None


class LocationModel(_Model):
    file: str
    line: int | None = Field(default=None, ge=1)
    pointer: str | None = None


class TieModel(_Model):
    id: str
    kind: str
    source: str
    target: str
    directed: bool
    start: date | None = None
    end: date | None = Field(default=None, description="null: ongoing")
    location: LocationModel | None = None


class WaiverModel(_Model):
    source: str = Field(description="file:line of the waiver entry")
    reason: str
    approved_by: str
    agreement: str | None = None
    expires: date
    fingerprint: str | None = None
    rule: str | None = None
    subjects: dict[str, str] | None = None


class RecordModel(_Model):
    id: str = Field(description="section/id")
    dates: dict[str, date] = Field(description="the record's dates by field, in field order")


class WindowModel(_Model):
    item: str = Field(description="a tie id or section/id of the evidence")
    condition: str
    bound: date
    value: date | None = None


def _empty(value: Any) -> bool:
    return not value


class FindingModel(_Model):
    rule: str
    ruleset: RulesetRefModel
    title: str
    category: str
    severity: Severity
    level: Level
    subjects: dict[str, str] = Field(description="pattern variable -> person id")
    evidence: list[str] = Field(description="tie ids, in clause order")
    records: list[str] = Field(
        default_factory=list,
        description="practice records of the evidence, as section/id (agreements/a1)",
    )
    citations: list[CitationModel]
    remediation: list[StepModel]
    fingerprint: str
    status: Literal["open", "waived", "baselined"]
    description: str = ""
    evidence_ties: list[TieModel] = Field(default_factory=list)
    waiver: WaiverModel | None = None
    names: dict[str, str] | None = Field(
        default=None, description="person id -> name; only in reports made with --reveal"
    )
    # written only when true or not empty, as the warnings: what the html page draws and
    # sarif's baseline state, so that ``dualrel render`` writes any format from the report
    in_baseline: bool = Field(
        default=False, exclude_if=_empty, description="the baseline holds this finding"
    )
    evidence_records: list[RecordModel] = Field(
        default_factory=list, exclude_if=_empty, description="the records' dates"
    )
    windows: list[WindowModel] = Field(
        default_factory=list, exclude_if=_empty, description="the rule's date windows"
    )


class ResolvedModel(_Model):
    fingerprint: str
    rule: str
    ruleset: RulesetRefModel
    title: str
    severity: Severity
    level: Level
    subjects: dict[str, str]
    evidence: list[str]


class WaiverOutcomeModel(_Model):
    waiver: WaiverModel
    status: Literal["applied", "expired", "stale"]
    findings: list[str] = Field(description="fingerprints of the findings it waived")


class RuleStepModel(_Model):
    action: str
    within_days: int = Field(ge=0)
    owner: str


class RuleModel(_Model):
    ruleset: RulesetRefModel
    id: str
    title: str
    description: str
    category: str
    severity: Severity
    level: Level
    citations: list[CitationModel]
    remediation: list[RuleStepModel]


class FileRefModel(_Model):
    path: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class WarningModel(_Model):
    code: str
    file: str
    message: str


class GeneratedForModel(_Model):
    registry: FileRefModel
    as_of: date


class SummaryModel(_Model):
    total: int
    by_status: dict[Literal["open", "waived", "baselined"], int]
    by_level: dict[Literal["3", "2", "1"], int]
    by_rule: dict[str, int]
    fail_level: Level
    failing: int = Field(description="open findings at or above the fail level")
    resolved: int
    waivers: dict[Literal["applied", "expired", "stale"], int]


class ReportDocument(_Model):
    """A dualrel JSON report."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        title="dualrel report",
        json_schema_extra={"$id": "https://dualrel.invalid/schemas/report-1.json"},
    )

    format: Literal["dualrel.report/1"]
    generated_by: str
    generated_for: GeneratedForModel
    rulesets: list[RulesetRefModel]
    findings: list[FindingModel]
    resolved: list[ResolvedModel] = Field(default_factory=list)
    waivers: list[WaiverOutcomeModel] = Field(default_factory=list)
    waivers_file: str | None = None
    baseline: FileRefModel | None = None
    summary: SummaryModel
    # written only when there are some, so reports without warnings read as they always did
    warnings: list[WarningModel] = Field(
        default_factory=list,
        exclude_if=lambda v: not v,
        description="warnings about the check itself (a baseline of another registry)",
    )
    rules: list[RuleModel] = Field(
        default_factory=list,
        exclude_if=lambda v: not v,
        description="every enabled rule of the rulesets, with or without findings",
    )


def report_json_schema() -> dict[str, Any]:
    """The JSON Schema of the report format."""
    schema = ReportDocument.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


#: The formats :func:`json_schema` knows, as ``dualrel schema`` lists them.
SCHEMAS = ("registry", "ruleset", "report", "stats", "waivers")


def json_schema(name: str) -> dict[str, Any]:
    """The JSON Schema of a ``registry``, a ``ruleset`` file, a ``report``, ``stats`` or a
    ``waivers`` file."""
    if name in ("registry", "stats"):
        text = (resources.files("dualrel") / "schemas" / f"{name}.schema.json").read_text("utf-8")
        data: dict[str, Any] = json.loads(text)
        return data
    if name == "ruleset":
        # imported here: the rules package loads the engine, which rendering and reading
        # reports never need
        from dualrel.rules.schema import RulesetFile  # noqa: PLC0415

        data = RulesetFile.model_json_schema()
        data["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        return data
    if name == "report":
        return report_json_schema()
    if name == "waivers":
        from dualrel.waivers import waivers_json_schema  # noqa: PLC0415 (as the ruleset's)

        return waivers_json_schema()
    raise KeyError(name)


class ReportFileError(DualrelError):
    """A JSON report could not be read; ``problems`` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in problems))


def load_report(path: str | os.PathLike[str]) -> ReportDocument:
    """Read a JSON report written by ``dualrel check --format json``.

    Raises :class:`ReportFileError` naming the file (and line or JSON pointer) when the
    file cannot be read, is not JSON or is not a ``dualrel.report/1`` document.
    """
    name = str(path)
    try:
        text = reading.read_text(name, "report")
    except FileNotFoundError:
        raise ReportFileError(
            [Problem(file=name, code="not-found", message="no such report")]
        ) from None
    except OSError as exc:
        raise ReportFileError([Problem(file=name, code="unreadable", message=str(exc))]) from None
    except DecodeError as exc:
        raise ReportFileError(exc.problems(name)) from None
    try:
        data = decode.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportFileError(
            [Problem(file=name, line=exc.lineno, code="malformed", message=f"not JSON: {exc.msg}")]
        ) from None
    except DecodeError as exc:
        raise ReportFileError(exc.problems(name)) from None
    if not isinstance(data, dict) or data.get("format") != REPORT_FORMAT:
        found = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise ReportFileError(
            [
                Problem(
                    file=name,
                    pointer="/format",
                    code="not-a-report",
                    message=f"expected a {REPORT_FORMAT} JSON report (dualrel check --format "
                    f"json), found format {found!r}",
                )
            ]
        )
    try:
        return ReportDocument.model_validate(data)
    except pydantic.ValidationError as exc:
        problems = []
        for err in exc.errors():
            pointer = "/" + "/".join(str(p) for p in err["loc"])
            record = _record_at(data, err["loc"])
            problems.append(
                Problem(
                    file=name,
                    pointer=pointer,
                    code="schema",
                    message=f"{err['msg']}" + (f" (finding {record})" if record else ""),
                    record=record,
                )
            )
        raise ReportFileError(problems) from None


def _record_at(data: Any, loc: tuple[Any, ...]) -> str | None:
    if len(loc) >= 2 and loc[0] in ("findings", "resolved") and isinstance(loc[1], int):
        items = data.get(loc[0])
        if isinstance(items, list) and loc[1] < len(items) and isinstance(items[loc[1]], dict):
            fp = items[loc[1]].get("fingerprint")
            return str(fp) if fp is not None else None
    return None
