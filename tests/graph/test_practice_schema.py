"""The practice schema is written once: the dataclasses, the shipped JSON Schema and the
pattern language's catalogue agree with ``PRACTICE_CATALOGUE``."""

from __future__ import annotations

import dataclasses
import json
from importlib import resources
from typing import Any

import pytest

from dualrel.graph.practice import (
    PRACTICE_CATALOGUE,
    PRACTICE_SECTIONS,
    Practice,
    PracticeField,
)
from dualrel.rules.sections import SECTIONS

SCHEMA: dict[str, Any] = json.loads(
    (resources.files("dualrel") / "schemas" / "registry.schema.json").read_text("utf-8")
)
DEFS: dict[str, Any] = SCHEMA["$defs"]


def _nullable(prop: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The property's own form, and whether it also takes null."""
    if "anyOf" in prop:
        forms = [f for f in prop["anyOf"] if f != {"type": "null"}]
        assert len(forms) == 1, prop
        return forms[0], len(forms) != len(prop["anyOf"])
    types = prop.get("type")
    if isinstance(types, list) and "null" in types:
        rest = [t for t in types if t != "null"]
        return {**prop, "type": rest[0] if len(rest) == 1 else rest}, True
    return prop, False


def _schema_kind(form: dict[str, Any]) -> tuple[str, set[str]]:
    """What the JSON Schema says a field holds, in the catalogue's words, and its words."""
    ref = form.get("$ref")
    if ref is not None:
        return {"#/$defs/id": "id", "#/$defs/date": "date", "#/$defs/datetime": "datetime"}[
            ref
        ], set()
    if "enum" in form:
        return "enum", set(form["enum"])
    if form.get("type") == "integer":
        return "count", set()
    if form.get("type") == "array":
        items = form["items"]
        if "enum" in items:
            return "enums", set(items["enum"])
        return "opens", set(items["examples"])
    assert form.get("type") == "string", form
    if "pattern" in form:
        return "hours", set()
    if "examples" in form:
        return "open", set(form["examples"])
    return "text", set()


def _catalogue_kind(f: PracticeField) -> str:
    return "id" if f.kind in ("person", "tie", "about") else f.kind


@pytest.mark.parametrize("section", list(PRACTICE_CATALOGUE))
def test_json_schema_agrees_with_the_catalogue(section: str) -> None:
    entry = PRACTICE_CATALOGUE[section]
    assert SCHEMA["properties"][section]["items"] == {"$ref": f"#/$defs/{entry.record}"}
    record = DEFS[entry.record]
    assert record["additionalProperties"] is False
    props = record["properties"]
    assert set(props) == {"id", "attributes", *(f.name for f in entry.fields)}
    assert props["id"]["$ref"] == "#/$defs/id"
    assert props["attributes"] == {"type": "object"}
    assert set(record["required"]) == {"id", *(f.name for f in entry.fields if f.required)}
    for f in entry.fields:
        form, nullable = _nullable(props[f.name])
        kind, words = _schema_kind(form)
        assert kind == _catalogue_kind(f), (section, f.name)
        assert words == set(f.vocabulary), (section, f.name)
        # an optional single value may be null; a list is empty instead
        assert nullable == (not f.required and kind not in ("enums", "opens")), (section, f.name)


def test_every_section_is_in_the_catalogue_the_schema_and_practice() -> None:
    documented = [k for k in SCHEMA["properties"] if k not in ("format", "as_of", "people", "ties")]
    assert documented == list(PRACTICE_CATALOGUE) == list(PRACTICE_SECTIONS)
    assert [f.name for f in dataclasses.fields(Practice)] == list(PRACTICE_CATALOGUE)
    assert list(SECTIONS) == list(PRACTICE_CATALOGUE)


@pytest.mark.parametrize("section", list(PRACTICE_CATALOGUE))
def test_dataclass_fields_agree_with_the_catalogue(section: str) -> None:
    entry = PRACTICE_CATALOGUE[section]
    names = [f.name for f in dataclasses.fields(entry.cls)]
    assert names == ["id", *(f.name for f in entry.fields), "attributes"]
    assert dataclasses.fields(Practice)[list(PRACTICE_CATALOGUE).index(section)].name == section


@pytest.mark.parametrize("section", list(PRACTICE_CATALOGUE))
def test_pattern_catalogue_covers_every_readable_field(section: str) -> None:
    entry = PRACTICE_CATALOGUE[section]
    fields = SECTIONS[section]
    readable = {f.name for f in entry.fields if not f.hidden}
    covered = {*fields.people, *fields.testable, *((fields.tie,) if fields.tie else ())}
    assert readable <= covered
    assert covered - readable == set(fields.derived)
