"""YAML registries: safe loading, line marks, limits (the billion laughs fails fast)."""

from __future__ import annotations

import resource
import time
from datetime import date
from pathlib import Path

import pytest

from dualrel.graph import _yaml, load_registry

from .helpers import one, problems_of

GOOD = """\
format: dualrel.registry/1
as_of: 2026-11-26
people:
  - id: co001
    roles: [coach]
  - id: cl0001
    roles: [client]
    attributes: {since: 2024-01-01}
ties:
  - id: t1
    kind: coaching
    source: co001
    target: cl0001
    start: 2025-03-01
    attributes:
      agreement_signed: 2025-02-20
"""


def write(tmp_path: Path, text: str, name: str = "reg.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_loads_with_dates_and_lines(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    reg = load_registry(path)
    assert reg.as_of == date(2026, 11, 26)
    assert reg.ties[0].start == date(2025, 3, 1)
    # YAML dates in free attributes become ISO text, as JSON would hold them
    assert reg.ties[0].attributes == {"agreement_signed": "2025-02-20"}
    assert reg.people[1].attributes == {"since": "2024-01-01"}
    assert reg.locations[("person", "cl0001")].line == 6
    assert reg.locations[("tie", "t1")].line == 10
    assert reg.locations[("tie", "t1")].pointer == "/ties/0"


def test_yml_suffix(tmp_path: Path) -> None:
    assert len(load_registry(write(tmp_path, GOOD, "reg.yml")).people) == 2


def test_errors_point_at_the_field_line(tmp_path: Path) -> None:
    text = GOOD.replace("start: 2025-03-01", "start: 2025-03-01\n    end: 2024-01-01").replace(
        "target: cl0001", "target: cl0009"
    )
    path = write(tmp_path, text)
    probs = problems_of(path)
    end = one(probs, "end-before-start")
    assert (end.file, end.line, end.pointer) == (str(path), 15, "/ties/0/end")
    unknown = one(probs, "unknown-person")
    assert (unknown.line, unknown.pointer) == (13, "/ties/0/target")
    assert "did you mean 'cl0001'?" in unknown.message


def test_timestamps_and_non_json_values_are_wrong_types(tmp_path: Path) -> None:
    text = GOOD.replace("start: 2025-03-01", "start: 2025-03-01 10:00:00").replace(
        "attributes: {since: 2024-01-01}", "attributes: {1: x}"
    )
    probs = problems_of(write(tmp_path, text))
    assert one(probs, "invalid-date").line == 14
    wrong = one(probs, "wrong-type")
    assert (wrong.line, wrong.pointer) == (8, "/people/1/attributes")


def test_malformed_yaml_reports_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "format: dualrel.registry/1\npeople:\n  - id: a\n   roles: [x\n")
    p = one(problems_of(path), "malformed")
    assert p.line is not None and p.line >= 4


def test_unsafe_tags_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "format: !!python/object/apply:os.system ['echo hi']\npeople: []\n")
    p = one(problems_of(path), "malformed")
    assert p.line == 1


BILLION_LAUGHS = """\
format: dualrel.registry/1
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
people: [{id: x, attributes: {bomb: *i}}]
"""


def test_billion_laughs_fails_fast(tmp_path: Path) -> None:
    path = write(tmp_path, BILLION_LAUGHS)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    p = one(problems_of(path), "alias-expansion")
    assert time.perf_counter() - t0 < 2.0
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100_000  # KiB
    assert p.file == str(path)
    assert p.line is not None and 3 <= p.line <= 11


def test_alias_count_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_yaml, "MAX_ALIASES", 3)
    text = GOOD + "\n".join(f"x{i}: *r" for i in range(4)).replace("x0: *r", "x0: &r 1\nx9: *r")
    p = one(problems_of(write(tmp_path, text)), "too-many-aliases")
    assert p.line is not None and p.line > 16


def test_depth_limit(tmp_path: Path) -> None:
    deep = "[" * (_yaml.MAX_DEPTH + 5) + "]" * (_yaml.MAX_DEPTH + 5)
    path = write(tmp_path, f"format: dualrel.registry/1\npeople: []\nx: {deep}\n")
    assert one(problems_of(path), "too-deep").line == 3


def test_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_yaml, "MAX_BYTES", 100)
    p = one(problems_of(write(tmp_path, GOOD)), "too-large")
    assert p.file == str(tmp_path / "reg.yaml")
