"""Located problems for YAML files that rulesets, test cases and waivers are written in.

One place turns a YAML parse failure, a pydantic validation error or a check on a JSON
pointer into :class:`~dualrel.errors.Problem` objects with file, line and pointer, so every
file kind reports the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pydantic
import yaml

from dualrel._internal import safeyaml
from dualrel.errors import Problem, ProblemCode

__all__ = ["located", "schema_message", "schema_problems", "yaml_problem"]


def located(
    file: str,
    doc: safeyaml.LocatedDocument,
    pointer: str,
    code: ProblemCode,
    message: str,
    *,
    record: str | None = None,
    field: str | None = None,
) -> Problem:
    """The problem at ``pointer`` of ``doc``, on the line of that node or its nearest parent.

    >>> doc = safeyaml.loads("rules:\\n  - id: x\\n")
    >>> str(located("r.yaml", doc, "/rules/0/id", "unknown-rule", "no such rule"))
    'r.yaml:2 (/rules/0/id): unknown-rule: no such rule'
    """
    return Problem(
        file=file,
        line=doc.line_of(pointer),
        pointer=pointer,
        code=code,
        message=message,
        record=record,
        field=field,
    )


def yaml_problem(file: str, exc: yaml.YAMLError | safeyaml.YamlLimitError) -> Problem:
    """The problem of a YAML text :func:`safeyaml.loads` refused.

    >>> try:
    ...     safeyaml.loads("a: [1\\n")
    ... except yaml.YAMLError as e:
    ...     p = yaml_problem("f.yaml", e)
    >>> p.code, p.line
    ('malformed', 2)
    """
    if isinstance(exc, safeyaml.YamlLimitError):
        return Problem(file=file, line=exc.line, code="too-large", message=str(exc))
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + 1 if mark is not None else None
    msg = getattr(exc, "problem", None) or str(exc)
    return Problem(file=file, line=line, code="malformed", message=f"not valid YAML: {msg}")


def schema_message(err: Any) -> str:
    """One pydantic error in words: unknown and missing fields by name, else where: what."""
    loc = [str(p) for p in err["loc"]]
    if err["type"] == "extra_forbidden":
        return f"unknown field {loc[-1]!r}"
    if err["type"] == "missing":
        return f"missing required field {loc[-1]!r}"
    where = ".".join(loc)
    return f"{where}: {err['msg']}" if where else str(err["msg"])


def schema_problems(
    file: str,
    doc: safeyaml.LocatedDocument,
    exc: pydantic.ValidationError,
    *,
    record_of: Callable[[tuple[Any, ...]], str | None] | None = None,
    hint: Callable[[Sequence[str], str], str] | None = None,
) -> list[Problem]:
    """Every error of ``exc`` as a ``schema`` problem located in ``doc``.

    ``record_of`` names the record an error location belongs to; ``hint`` may add to the
    message of an error (given its location and type).
    """
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        pointer = "/" + "/".join(safeyaml.escape(p) for p in loc)
        message = schema_message(err)
        if hint is not None:
            message += hint(loc, err["type"])
        out.append(
            located(
                file,
                doc,
                pointer,
                "schema",
                message,
                record=record_of(err["loc"]) if record_of is not None else None,
                field=loc[-1] if loc else None,
            )
        )
    return out
