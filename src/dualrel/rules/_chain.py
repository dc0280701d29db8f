"""Reading a ruleset file and every ruleset it ``extends``, bases first.

Each file is parsed and validated against the schema; rules with schema errors are left
out (and remembered, so nothing else reports them unknown) so that one mistake does not
hide the others.  :func:`visit` follows ``extends`` depth first, reporting cycles and
files it cannot reach at the ``extends`` entry that names them.  Composing the chain into
one :class:`~dualrel.rules.loader.Ruleset` is :mod:`dualrel.rules.loader`'s part.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pydantic
import yaml

from dualrel._internal import reading, safeyaml
from dualrel._internal.decode import DecodeError
from dualrel._internal.located import located, schema_problems, yaml_problem
from dualrel._internal.suggest import did_you_mean
from dualrel.errors import Problem, ProblemCode
from dualrel.rules.schema import (
    KindSpec,
    ParameterSpec,
    RuleOverride,
    RulesetFile,
    RuleSpec,
    SourceSpec,
)

__all__ = ["Parsed", "resolve_path", "shipped_rulesets", "visit"]


def _shipped_dir() -> Path:
    return Path(str(resources.files("dualrel") / "rulesets"))


def shipped_rulesets() -> dict[str, Path]:
    """The rulesets shipped with dualrel, by name.

    >>> "coaching-core" in shipped_rulesets()
    True
    """
    return {p.stem: p for p in sorted(_shipped_dir().glob("*.yaml"))}


def _shipped_name(ref: str | Path) -> bool:
    """``ref`` names a shipped ruleset (or would, if one had that name), not a path."""
    return isinstance(ref, str) and not ref.endswith((".yaml", ".yml", ".json")) and "/" not in ref


def resolve_path(ref: str | Path, relative_to: Path | None) -> Path | None:
    path = Path(ref)
    if _shipped_name(ref):
        return shipped_rulesets().get(str(ref))
    if not path.is_absolute() and relative_to is not None:
        path = relative_to / path
    return path


@dataclass(slots=True)
class Parsed:
    path: str
    doc: safeyaml.LocatedDocument
    model: RulesetFile | None
    #: the resolved paths of the rulesets it extends (see :func:`visit`)
    bases: list[str] = field(default_factory=list)
    # ids of rules left out for schema errors: nothing else reports them unknown
    broken_rules: frozenset[str] = frozenset()
    # where each rule of ``model`` is in the file, when rules were left out
    rule_index: tuple[int, ...] | None = None


def _parse(path: Path, problems: list[Problem]) -> Parsed | None:
    name = str(path)
    try:
        text = reading.read_text(name, "yaml")
    except FileNotFoundError:
        problems.append(Problem(file=name, code="not-found", message="no such ruleset file"))
        return None
    except OSError as exc:
        problems.append(Problem(file=name, code="unreadable", message=str(exc)))
        return None
    except DecodeError as exc:
        problems.extend(exc.problems(name))
        return None
    try:
        doc = safeyaml.loads(text)
    except (safeyaml.YamlLimitError, yaml.YAMLError) as exc:
        problems.append(yaml_problem(name, exc))
        return None
    except DecodeError as exc:
        problems.extend(exc.problems(name))
        return None
    if not isinstance(doc.data, dict):
        problems.append(
            Problem(file=name, line=1, code="malformed", message="a ruleset must be a mapping")
        )
        return None
    data = json.loads(json.dumps(doc.data, default=str))  # dates as text, as JSON would carry them
    try:
        model = RulesetFile.model_validate(data)
    except pydantic.ValidationError as exc:
        problems.extend(
            schema_problems(
                name,
                doc,
                exc,
                model=RulesetFile,
                data=data,
                record_of=lambda loc: _rule_id_at(data, loc),
            )
        )
        salvaged, broken, index = _salvage(data, {e["loc"][0] for e in exc.errors() if e["loc"]})
        return Parsed(name, doc, salvaged, broken_rules=broken, rule_index=index)
    return Parsed(name, doc, model)


def visit(
    path: Path,
    parent: tuple[Parsed, int] | None,
    *,
    stack: list[str],
    done: dict[str, Parsed],
    chain: list[Parsed],
    problems: list[Problem],
    incomplete: list[str],
    extends_from: tuple[Path, ...] = (),
) -> None:
    """Parse ``path`` and, depth first, every base it extends; ``chain`` gets each ruleset
    once, after its bases (a base two rulesets extend is read once).  A file that could not
    be read at all, a cycle, an unknown base or one out of reach goes into ``incomplete``:
    schema errors alone do not, so the rest of a readable chain is still checked.

    A base is a shipped ruleset's name, or a path within the extending ruleset's folder or
    one of ``extends_from`` (resolved, links followed): a ruleset cannot make dualrel read
    (and quote, in its errors) any other file."""
    key = str(path.resolve())
    if key in done:
        return
    if key in stack:
        assert parent is not None
        cycle = " -> ".join([*(Path(s).name for s in stack), path.name])
        problems.append(
            _extends_problem(parent, "extends-cycle", f"ruleset extends itself: {cycle}")
        )
        incomplete.append(key)
        return
    parsed = _parse(path, problems)
    if parsed is None or parsed.model is None:
        incomplete.append(key)
        return
    for j, base in enumerate(parsed.model.bases):
        current = resolve_path(base, path.parent)
        if current is not None and not _shipped_name(base):
            folders = (path.parent.resolve(), *extends_from)
            target = current.resolve()
            if not any(target.is_relative_to(f) for f in folders):
                problems.append(
                    _extends_problem(
                        (parsed, j),
                        "extends-outside",
                        f"extends {base!r}, a path outside this ruleset's folder: a ruleset "
                        "extends shipped rulesets and files in its own folder (or below); "
                        "allow another folder with --extends-from DIR (extends_from= in "
                        "the API)",
                    )
                )
                incomplete.append(key)
                continue
        if current is None or not current.exists():
            problems.append(
                _extends_problem(
                    (parsed, j),
                    "unknown-ruleset",
                    f"extends unknown ruleset {base!r}" + did_you_mean(base, shipped_rulesets()),
                )
            )
            incomplete.append(key)
            continue
        visit(
            current,
            (parsed, j),
            stack=[*stack, key],
            done=done,
            chain=chain,
            problems=problems,
            incomplete=incomplete,
            extends_from=extends_from,
        )
        parsed.bases.append(str(current.resolve()))
    done[key] = parsed
    chain.append(parsed)


def _extends_problem(at: tuple[Parsed, int], code: ProblemCode, message: str) -> Problem:
    parsed, j = at
    assert parsed.model is not None
    pointer = "/extends" if isinstance(parsed.model.extends, str) else f"/extends/{j}"
    return located(parsed.path, parsed.doc, pointer, code, message, field="extends")


def _fits(model: type[pydantic.BaseModel], value: Any) -> bool:
    try:
        model.model_validate(value)
    except pydantic.ValidationError:
        return False
    return True


#: Stand-ins for top-level fields with schema errors, so the rest of the file is checked.
_STAND_INS: dict[str, Any] = {
    "id": "unnamed",
    "version": "0",
    "title": "untitled",
    "description": "",
    "effective": None,
    "extends": None,
}


def _salvage(
    data: dict[str, Any], bad: set[Any]
) -> tuple[RulesetFile | None, frozenset[str], tuple[int, ...] | None]:
    """The file without the parts that failed the schema (their errors are reported), so
    the semantic checks still run on every rule that validated.

    A parameter or tie kind that failed stays declared (a stand-in value, a directed kind)
    so that rules using it are not reported for the same mistake twice.
    """
    fixed = dict(data)
    broken: set[str] = set()
    index: tuple[int, ...] | None = None
    for key in bad:
        value = data.get(key)
        if key == "rules" and isinstance(value, list):
            index = tuple(i for i, r in enumerate(value) if _fits(RuleSpec, r))
            fixed[key] = [value[i] for i in index]
            broken |= {
                str(r["id"])
                for r in value
                if isinstance(r, dict) and "id" in r and not _fits(RuleSpec, r)
            }
        elif key == "overrides" and isinstance(value, dict):
            fixed[key] = {k: v for k, v in value.items() if _fits(RuleOverride, v)}
        elif key == "sources" and isinstance(value, list):
            fixed[key] = [v for v in value if _fits(SourceSpec, v)]
        elif key == "parameters" and isinstance(value, dict):
            fixed[key] = {
                k: (v if _fits(ParameterSpec, v) or isinstance(v, int | float) else {"value": 0})
                for k, v in value.items()
                if isinstance(k, str) and k.isidentifier()
            }
        elif key == "vocabulary" and isinstance(value, dict):
            kinds = value.get("kinds") if isinstance(value.get("kinds"), dict) else {}
            roles = value.get("roles") if isinstance(value.get("roles"), list) else []
            fixed[key] = {
                "kinds": {
                    k: (v if _fits(KindSpec, v) else {"directed": True})
                    for k, v in (kinds or {}).items()
                    if isinstance(k, str) and k.isidentifier()
                },
                "roles": [r for r in roles or [] if isinstance(r, str) and r.isidentifier()],
            }
        elif key in _STAND_INS:
            fixed[key] = _STAND_INS[key]
        else:
            fixed.pop(key, None)  # an unknown field, or a part beyond repair
    try:
        return RulesetFile.model_validate(fixed), frozenset(broken), index
    except pydantic.ValidationError:
        return None, frozenset(broken), index


def _rule_id_at(data: Any, loc: tuple[Any, ...]) -> str | None:
    if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
        rules = data.get("rules")
        if isinstance(rules, list) and loc[1] < len(rules) and isinstance(rules[loc[1]], dict):
            rid = rules[loc[1]].get("id")
            return str(rid) if rid is not None else None
    return None
