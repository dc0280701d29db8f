"""Slow paths on hostile inputs (issue 21, D11): each measured before and after, one run.

    python benchmarks/slow_paths.py [--long-ids 200] [--id-length 2000] [--misspelt 50]
        [--people 5000] [--many-misspelt 100] [--json-ties 200000] [--located 1000]
        [--waivers 4000]

Three cases, each timed twice in this process on the same input: ``before`` with the
algorithm the library used until the fix (restored here by patching, or copied), ``after``
with the library as it is.  Prints one line per case with both times and their ratio.

* ``suggest-long``: validating a registry of ``--long-ids`` people whose ids are
  ``--id-length`` characters, ``--misspelt`` ties naming a source one character off
  (before: difflib over every known id for every unknown one);
* ``suggest-many``: the same with ``--people`` short ids, ``--many-misspelt`` of them
  misspelt;
* ``locate``: validating a JSON registry of ``--json-ties`` ties, pretty-printed, whose
  last ``--located`` ties end before they start (before: each problem's line counted
  from the start of the text);
* ``waivers``: ``apply_waivers`` with ``--waivers`` waivers, one per finding (before:
  every waiver compared with every finding).
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import json
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from dualrel.errors import RegistryError
from dualrel.findings import Finding, RulesetRef, WaiverInfo, WaiverOutcome
from dualrel.graph import _assemble, _json, load_registry_with_warnings
from dualrel.waivers import apply_waivers, waiver_matches


class _OldSuggester:
    """'Did you mean' as it was: difflib over every known name, for every unknown one,
    with no suggestion above 5,000 known names."""

    def __init__(self, known: Iterable[str]) -> None:
        self.known = known

    def hint(self, name: str) -> str:
        names = sorted(set(self.known))
        if len(names) > 5000:
            return ""
        close = difflib.get_close_matches(name, names, n=2, cutoff=0.6)
        return " (did you mean " + " or ".join(repr(c) for c in close) + "?)" if close else ""


def _old_line_at(self: _json.JsonLocator, offset: int) -> int:
    return self.text.count("\n", 0, offset) + 1


def _old_apply_waivers(
    findings: Iterable[Finding], waivers: Iterable[WaiverInfo], as_of: date
) -> tuple[dict[str, WaiverInfo], tuple[WaiverOutcome, ...]]:
    findings = list(findings)
    applied: dict[str, WaiverInfo] = {}
    outcomes: list[WaiverOutcome] = []
    for w in waivers:
        matched = tuple(sorted(f.fingerprint for f in findings if waiver_matches(w, f)))
        if w.expires < as_of:
            outcomes.append(WaiverOutcome(w, "expired", matched))
        elif not matched:
            outcomes.append(WaiverOutcome(w, "stale"))
        else:
            for fp in matched:
                applied.setdefault(fp, w)
            outcomes.append(WaiverOutcome(w, "applied", matched))
    return applied, tuple(outcomes)


@contextlib.contextmanager
def _patched(obj: Any, name: str, value: Any) -> Iterator[None]:
    old = getattr(obj, name)
    setattr(obj, name, value)
    try:
        yield
    finally:
        setattr(obj, name, old)


def _timed(run: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def _problems(path: Path) -> list[str]:
    try:
        load_registry_with_warnings(path)
    except RegistryError as e:
        return [f"{p.line} {p.pointer} {p.code}" for p in e.problems]
    raise AssertionError("the registry should not load")


def _registry(path: Path, ids: list[str], misspelt: int, indent: int | None = None) -> Path:
    people = [{"id": p, "roles": ["coach" if i % 2 == 0 else "client"]} for i, p in enumerate(ids)]
    ties = [
        {"id": f"t{i}", "kind": "coaching", "source": ids[i], "target": ids[i + 1]}
        for i in range(0, len(ids) - 1, 2)
    ]
    for t in ties[:misspelt]:
        t["source"] = "Z" + t["source"][1:]
    doc = {"format": "dualrel.registry/1", "as_of": "2026-01-01", "people": people, "ties": ties}
    path.write_text(json.dumps(doc, indent=indent), encoding="utf-8")
    return path


def suggest_case(path: Path) -> tuple[float, float]:
    with _patched(_assemble, "Suggester", _OldSuggester):
        before, _ = _timed(lambda: _problems(path))
    after, _ = _timed(lambda: _problems(path))
    return before, after


def locate_case(folder: Path, ties: int, located: int) -> tuple[float, float]:
    people = [{"id": f"p{i}", "roles": ["coach" if i % 2 == 0 else "client"]} for i in range(200)]
    records = [
        {"id": f"t{i}", "kind": "coaching", "source": f"p{2 * (i % 100)}",
         "target": f"p{2 * (i % 100) + 1}", "start": "2025-01-01",
         "end": "2024-01-01" if i >= ties - located else None}
        for i in range(ties)
    ]  # fmt: skip
    doc = {"format": "dualrel.registry/1", "as_of": "2026-01-01", "people": people}
    path = folder / "located.json"
    path.write_text(json.dumps({**doc, "ties": records}, indent=2), encoding="utf-8")
    with _patched(_json.JsonLocator, "line_at", _old_line_at):
        before, old = _timed(lambda: _problems(path))
    after, new = _timed(lambda: _problems(path))
    assert old == new, "the lines differ"
    return before, after


def waiver_case(n: int) -> tuple[float, float]:
    rs = RulesetRef("rs", "1")
    findings = [
        Finding("r", rs, "t", "c", "high", 2, {"coach": f"co{i}"}, (), (), (), f"{i:032x}")
        for i in range(n)
    ]
    waivers = [
        WaiverInfo("w", "r", "a", date(2027, 1, 1), fingerprint=f"{i:032x}")
        if i % 2
        else WaiverInfo("w", "r", "a", date(2027, 1, 1), rule="rs/r", subjects={"coach": f"co{i}"})
        for i in range(n)
    ]
    as_of = date(2026, 6, 1)
    before, old = _timed(lambda: _old_apply_waivers(findings, waivers, as_of))
    after, new = _timed(lambda: apply_waivers(findings, waivers, as_of))
    assert old == new, "the outcomes differ"
    return before, after


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--long-ids", type=int, default=200)
    ap.add_argument("--id-length", type=int, default=2000)
    ap.add_argument("--misspelt", type=int, default=50)
    ap.add_argument("--people", type=int, default=5000)
    ap.add_argument("--many-misspelt", type=int, default=100)
    ap.add_argument("--json-ties", type=int, default=200_000)
    ap.add_argument("--located", type=int, default=1000)
    ap.add_argument("--waivers", type=int, default=4000)
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        long_ids = [f"{i:05d}" + "A" * args.id_length for i in range(args.long_ids)]
        path = _registry(folder / "long.json", long_ids, args.misspelt)
        rows.append(("suggest-long", *suggest_case(path)))
        short = [f"person-{i:05d}" for i in range(args.people)]
        path = _registry(folder / "many.json", short, args.many_misspelt)
        rows.append(("suggest-many", *suggest_case(path)))
        rows.append(("locate", *locate_case(folder, args.json_ties, args.located)))
    rows.append(("waivers", *waiver_case(args.waivers)))
    print(f"{'case':<14}{'before s':>10}{'after s':>10}{'ratio':>9}")
    for name, before, after in rows:
        print(f"{name:<14}{before:>10.2f}{after:>10.2f}{before / after:>9.1f}")


if __name__ == "__main__":
    main()
