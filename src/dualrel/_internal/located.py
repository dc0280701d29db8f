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
from dualrel._internal.schema_words import schema_errors, yaml_hint
from dualrel.errors import Problem, ProblemCode

__all__ = ["located", "schema_problems", "yaml_problem"]


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
    return Problem(
        file=file, line=line, code="malformed", message=f"not valid YAML: {msg}{yaml_hint(msg)}"
    )


def schema_problems(
    file: str,
    doc: safeyaml.LocatedDocument,
    exc: pydantic.ValidationError,
    *,
    model: type[pydantic.BaseModel] | None = None,
    data: Any = None,
    record_of: Callable[[tuple[Any, ...]], str | None] | None = None,
    hint: Callable[[Sequence[str], str], str] | None = None,
) -> list[Problem]:
    """Every error of ``exc`` as a ``schema`` problem located in ``doc``, in our words.

    ``model`` (the model ``data`` was validated against; ``doc.data`` when ``data`` is not
    given) lets an unknown field name the field it may be a misspelling of; ``record_of``
    names the record an error location belongs to; ``hint`` may add to the message of an
    error (given its location and type), in place of a "did you mean" from spelling.
    """
    out = []
    for err in schema_errors(exc, doc.data if data is None else data, model):
        loc = [str(p) for p in err.loc]
        pointer = "/" + "/".join(safeyaml.escape(p) for p in loc)
        message = err.message
        extra = hint(loc, err.kind) if hint is not None else ""
        if extra:  # the caller knows better than a guess from spelling
            message = message.split(" (did you mean")[0] + extra
        out.append(
            located(
                file,
                doc,
                pointer,
                "schema",
                message,
                record=record_of(err.loc) if record_of is not None else None,
                field=loc[-1] if loc else None,
            )
        )
    return out
