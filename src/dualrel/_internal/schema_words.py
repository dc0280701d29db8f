"""Schema errors in dualrel's own words, for the people who write rulesets and case files.

pydantic reports what its validators saw ("Input should be a valid dictionary or instance
of Match", "Extra inputs are not permitted"), with a location that names union branches
(``where.1.AnyOf.any``).  An author needs the field, what it must be, a "did you mean" for a
misspelt field name, and a word about YAML when it, not the author, split their text: an
unquoted ``a: b`` inside text makes a mapping, an unquoted ``,`` inside ``{...}`` or
``[...]`` makes two entries.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from dualrel._internal.suggest import did_you_mean

__all__ = ["SchemaError", "schema_errors", "yaml_hint"]

#: How the name patterns of the ruleset and case formats read in words.
_PATTERNS = {
    r"^[A-Za-z_][A-Za-z0-9_]*$": "a name: letters, digits and '_', not starting with a digit",
    r"^[a-z0-9][a-z0-9._-]*$": "an id: lower-case letters, digits, '.', '_' and '-', "
    "starting with a letter or digit",
}

_QUOTE_COLON = "YAML reads unquoted text containing ': ' as a mapping: put the text in quotes"
_QUOTE_COMMA = "YAML splits unquoted text at ', ' inside {...} and [...]: put the text in quotes"


@dataclass(frozen=True, slots=True)
class SchemaError:
    """One schema problem: where (the path into the document, union branches left out)
    and what, in words."""

    loc: tuple[str | int, ...]
    message: str
    kind: str  # pydantic's error type, for callers that add their own hints


def yaml_hint(problem: str) -> str:
    """A suffix for a YAML parse error that unquoted text with ``: `` causes, or ``""``.

    >>> yaml_hint("mapping values are not allowed here")[:22]
    ' (YAML reads unquoted '
    >>> yaml_hint("found undefined alias")
    ''
    """
    if "mapping values are not allowed" in problem or "but got ':'" in problem:
        return f" ({_QUOTE_COLON})"
    return ""


def _got(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _at(data: Any, loc: Sequence[str | int]) -> tuple[bool, Any]:
    """The value at ``loc`` in ``data``, and whether it is there."""
    for part in loc:
        in_list = isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
        if in_list or (isinstance(data, dict) and part in data):
            data = data[part]
        else:
            return False, None
    return True, data


def _clean(
    loc: Sequence[str | int], data: Any, kind: str
) -> tuple[list[str | int], list[str], int]:
    """The location without pydantic's union branch tags, the tags met on the way, and how
    many parts of the location lead to the first tag (the union's place).

    A text part is a branch tag unless the document has that key there, or it is the last
    part of an unknown or missing field error (the field's name).
    """
    out: list[str | int] = []
    tags: list[str] = []
    union_at = -1
    for i, part in enumerate(loc):
        _, here = _at(data, out)
        last = i == len(loc) - 1
        if (
            isinstance(part, int)
            or (isinstance(here, dict) and part in here)
            or (last and kind in ("missing", "extra_forbidden"))
        ):
            out.append(part)
        else:
            if not tags:
                union_at = len(out)
            tags.append(part)
    return out, tags, union_at if tags else len(out)


def _unwrap(tp: Any) -> list[Any]:
    """The alternatives of an annotation: ``Annotated`` and ``None`` left out."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        return [a for t in typing.get_args(tp) for a in _unwrap(t) if a is not type(None)]
    return [tp]


def _types_at(root: type[BaseModel], loc: Sequence[str | int]) -> list[Any]:
    """The types the value at ``loc`` (a cleaned location) may have under ``root``."""
    current: list[Any] = [root]
    for part in loc:
        nxt: list[Any] = []
        for tp in current:
            if isinstance(tp, type) and issubclass(tp, BaseModel):
                for name, info in tp.model_fields.items():
                    if part in (name, info.alias):
                        nxt += _unwrap(info.annotation)
            else:
                origin = typing.get_origin(tp)
                args = typing.get_args(tp)
                if origin is list and args and isinstance(part, int):
                    nxt += _unwrap(args[0])
                elif origin is dict and len(args) == 2:
                    nxt += _unwrap(args[1])
        current = nxt
    return current


def _model_at(root: type[BaseModel], loc: Sequence[str | int], data: Any) -> type[BaseModel] | None:
    """The model whose fields the mapping at ``loc`` (a cleaned location) holds, if any."""
    models = [t for t in _types_at(root, loc) if isinstance(t, type) and issubclass(t, BaseModel)]
    if len(models) == 1:
        return models[0]
    ok, value = _at(data, loc)
    if ok and isinstance(value, dict):  # several models possible: the one whose fields fit
        for m in models:
            if set(value) <= set(_field_names(m)):
                return m
    return None


def _field_names(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def _name(loc: Sequence[str | int]) -> str:
    """How a message names the place: ``severity``, ``citations item 2``, or ``the file``."""
    if not loc:
        return "the file"
    last = loc[-1]
    if isinstance(last, int):
        before = next((p for p in reversed(loc) if isinstance(p, str)), None)
        return f"{before} item {last + 1}" if before else f"item {last + 1}"
    return str(last)


def _expected_values(expected: str) -> list[str]:
    return re.findall(r"'([^']*)'", expected) or re.findall(r"[^,\s]+", expected.replace("or", ","))


def _words(err: Any, loc: list[str | int], value: Any) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    name = _name(loc)
    got = _got(value)
    if kind == "extra_forbidden":
        return f"unknown field {loc[-1]!r}"
    if kind == "missing":
        return f"missing required field {loc[-1]!r}"
    if kind == "literal_error":
        expected = str(ctx.get("expected", ""))
        values = _expected_values(expected)
        hint = did_you_mean(value, values) if isinstance(value, str) else ""
        return f"{name} must be one of {expected}, not {value!r}{hint}"
    if kind in ("string_type", "str_type"):
        hint = f" ({_QUOTE_COLON})" if isinstance(value, dict) and len(value) == 1 else ""
        if isinstance(value, list):
            hint = " (YAML reads unquoted text in [...] as a list: put the text in quotes)"
        return f"{name} must be text, not {got}{hint}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"{name} must be a whole number, not {got}"
    if kind in ("float_type", "float_parsing"):
        return f"{name} must be a number, not {got}"
    if kind == "finite_number":
        return f"{name} must be a finite number, not {value!r}"
    if kind in ("bool_type", "bool_parsing"):
        return f"{name} must be true or false, not {got}"
    if kind in ("dict_type", "model_type", "model_attributes_type", "mapping_type"):
        return f"{name} must be a mapping (field: value, ...), not {got}"
    if kind == "list_type":
        return f"{name} must be a list ([a, b], or one '- ' line per item), not {got}"
    if kind == "string_too_short":
        return f"{name} must not be empty"
    if kind == "too_short":
        n = ctx.get("min_length", 1)
        return f"{name} needs at least {n} item{'s' if n != 1 else ''}"
    if kind == "too_long":
        n = ctx.get("max_length")
        return f"{name} may have at most {n} item{'s' if n != 1 else ''}"
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        return f"{name} must be {_PATTERNS.get(pattern, 'of the form ' + pattern)}, not {value!r}"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        words = {
            "greater_than_equal": ("at least", "ge"),
            "greater_than": ("more than", "gt"),
            "less_than_equal": ("at most", "le"),
            "less_than": ("less than", "lt"),
        }[kind]
        return f"{name} must be {words[0]} {ctx.get(words[1])}"
    if kind.startswith("date") or kind.startswith("datetime"):
        return f"{name} must be a date written YYYY-MM-DD, not {value!r}"
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", err["msg"]))
    # our own custom errors carry our words already
    return str(err["msg"])


def _alternative(tag: str, models: Sequence[Any] = ()) -> str:
    for m in models:
        if isinstance(m, type) and issubclass(m, BaseModel) and m.__name__ == tag:
            fields = m.model_fields.values()
            required = [f.alias or n for n, f in zip(m.model_fields, fields, strict=True)]
            required = [r for r, f in zip(required, fields, strict=True) if f.is_required()]
            return "{" + ", ".join(f"{n}: ..." for n in required) + "}"
    if tag in ("str", "constrained-str"):
        return "text"
    if tag.startswith(("int", "float")):
        return "a number"
    if tag.startswith("list"):
        return "a list"
    if tag.startswith("literal"):
        return "one of " + tag[len("literal[") : -1]
    return "{...}"


def schema_errors(exc: Any, data: Any, model: type[BaseModel] | None) -> list[SchemaError]:
    """Every error of the pydantic ``exc`` raised validating ``data`` against ``model``, in
    words; alternatives of one union become one error."""
    groups: dict[tuple[str | int, ...], list[tuple[Any, list[str]]]] = {}
    for err in exc.errors():
        loc, tags, union_at = _clean(list(err["loc"]), data, err["type"])
        groups.setdefault(tuple(loc[:union_at]), []).append((err, tags))
    out: list[SchemaError] = []
    for key, group in groups.items():
        _, value = _at(data, list(key))
        branches = {tags[0] for _, tags in group if tags}
        if len(branches) > 1:
            out += _union(list(key), value, group, data, model)
        else:
            out += [_inner(err, data, model) for err, _ in group]
    # alternatives that fail alike (NaN is neither an int nor a finite float) say it once
    out = list(dict.fromkeys(out))
    return _split_text(_misspelt_not_missing(out), data)


def _split_text(errors: list[SchemaError], data: Any) -> list[SchemaError]:
    """An unknown field that is the only key of a mapping missing its required fields was
    most likely text YAML split at ': '."""
    missing = {e.loc[:-1] for e in errors if e.kind == "missing"}
    out = []
    for e in errors:
        said = e
        if e.kind == "extra_forbidden" and e.loc[:-1] in missing and "(" not in e.message:
            _, mapping = _at(data, list(e.loc[:-1]))
            if isinstance(mapping, dict) and len(mapping) == 1:
                said = SchemaError(e.loc, f"{e.message} ({_QUOTE_COLON})", e.kind)
        out.append(said)
    return out


def _misspelt_not_missing(errors: list[SchemaError]) -> list[SchemaError]:
    """A field reported missing because it was misspelt is said once: the unknown field's
    "did you mean" names it."""
    meant = {
        (e.loc[:-1], name)
        for e in errors
        if e.kind == "extra_forbidden"
        for name in re.findall(r"'([^']*)'", e.message.partition("did you mean")[2])
    }
    return [e for e in errors if not (e.kind == "missing" and (e.loc[:-1], e.loc[-1]) in meant)]


def _one(
    err: Any, loc: list[str | int], value: Any, data: Any, model: type[BaseModel] | None
) -> SchemaError:
    message = _words(err, loc, value)
    if err["type"] == "extra_forbidden":
        owner = _model_at(model, loc[:-1], data) if model is not None else None
        hint = did_you_mean(str(loc[-1]), _field_names(owner)) if owner is not None else ""
        if not hint and value is None and " " in str(loc[-1]):
            hint = f" ({_QUOTE_COMMA})"
        message += hint
    return SchemaError(tuple(loc), message, err["type"])


def _union(
    loc: list[str | int],
    value: Any,
    group: list[tuple[Any, list[str]]],
    data: Any,
    model: type[BaseModel] | None,
) -> list[SchemaError]:
    """One error for a value that fits none of a union's alternatives."""
    models = _types_at(model, loc) if model is not None else []
    alternatives = list(dict.fromkeys(_alternative(t[0], models) for _, t in group if t))
    wants_text = "text" in alternatives
    if isinstance(value, dict):
        if wants_text and len(value) == 1 and not isinstance(next(iter(value.values())), list):
            return [
                SchemaError(
                    tuple(loc),
                    f"{_name(loc)} must be {' or '.join(alternatives)}, not a mapping "
                    f"({_QUOTE_COLON})",
                    "union",
                )
            ]
        # a mapping meant as the mapping alternative: its own errors say what is wrong
        inner = [(e, t) for e, t in group if t and _alternative(t[0], models).startswith("{")]
        if inner:
            return [_inner(e, data, model) for e, _ in inner]
    # the value has the type of one alternative and breaks only its constraints (an empty
    # list where one item is the least), or breaks every alternative alike (NaN is neither
    # an int nor a finite float): those errors say what is wrong
    fitting = {t[0] for e, t in group if t and not e["type"].endswith("_type")}
    alike = len({e["type"] for e, _ in group}) == 1
    if len(fitting) == 1 or (fitting and alike):
        return [_inner(e, data, model) for e, t in group if t and t[0] in fitting]
    return [
        SchemaError(
            tuple(loc),
            f"{_name(loc)} must be {' or '.join(alternatives)}, not {_got(value)}",
            "union",
        )
    ]


def _inner(err: Any, data: Any, model: type[BaseModel] | None) -> SchemaError:
    loc, _, _ = _clean(list(err["loc"]), data, err["type"])
    _, value = _at(data, loc)
    return _one(err, loc, value, data, model)
