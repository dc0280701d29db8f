"""A layout's record fill (``rules/_record_fill.filler``) against the plain fill it
replaces: the same fact fields, with the same values, in the same order (the fact's
text, hence what the engine asserts, depends on the order), for every section and any
set of wanted fields, on generated registries with practice sections."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from dualrel.graph import Registry, load_registry
from dualrel.rules import _sessions, prepare
from dualrel.rules._facts import Layout, body
from dualrel.rules._record_fill import MISSING, window
from dualrel.rules.plan import NO_END
from dualrel.rules.sections import SECTIONS
from dualrel.testing.strategies import practice_registries, registry_json

ROOT = Path(__file__).resolve().parents[2]
PRACTICE = prepare("coaching-practice")[0]


def plain_fill(layout: Layout, rec: Any, rid: str, fact: dict[str, Any]) -> None:
    """The fill as it was written before, one loop per kind of field, as the oracle."""
    for f, e, t, fallback in layout.dates:
        value = getattr(rec, f)
        if value is not None:
            if e is not None:
                fact[e] = 1
        elif fallback is not None:
            value = getattr(rec, fallback)
        if t is not None:
            fact[t] = NO_END if value is None else value.toordinal() - layout.day
    for f, e, t, wd, mn in layout.instants:
        instant = getattr(rec, f)
        if instant is None:
            for name, missing in ((t, NO_END), (wd, -1), (mn, -1)):
                if name is not None:
                    fact[name] = missing
            continue
        if e is not None:
            fact[e] = 1
        if t is not None:
            fact[t] = layout.instant(instant)
        if wd is not None:
            fact[wd] = instant.weekday()
        if mn is not None:
            fact[mn] = instant.hour * 60 + instant.minute
    for f, e, n in layout.numbers:
        number = layout.number_of(layout.section, rec, f)
        if n is not None:
            fact[n] = 0 if number is None else number
        if e is not None and number is not None:
            fact[e] = 1
    for f, e, v in layout.values:
        text = getattr(rec, f, None)
        if v is not None:
            fact[v] = f"{MISSING}{rid}" if text is None else str(text)
        if e is not None and text is not None:
            fact[e] = 1
    for f, c, flags in layout.lists:
        words = getattr(rec, f)
        if c is not None:
            fact[c] = len(words)
        for w in words:
            flag = flags.get(w)
            if flag is not None:
                fact[flag] = 1
    for f, wanted in layout.windows:
        for name, minutes in window(getattr(rec, f)).items():
            if name in wanted:
                fact[name] = minutes
    for f, values, flag in layout.value_sets:
        if str(getattr(rec, f, None)) in values:
            fact[flag] = 1


def _fills_agree(reg: Registry, subsets: st.DataObject | None = None) -> int:
    """For every section's records, the layout's fill makes what ``plain_fill`` makes
    (twice: the second time from its memos), for the fields the ruleset reads and, with
    ``subsets``, drawn subsets of them; how many records were compared."""
    assert reg.as_of is not None
    store = _sessions.Store(PRACTICE, reg.as_of)
    compared = 0
    for section in sorted(SECTIONS):
        wanted = PRACTICE.schema.record_reads.get(section, frozenset())
        key_sets = [wanted]
        if subsets is not None and wanted:
            key_sets.append(frozenset(subsets.draw(st.sets(st.sampled_from(sorted(wanted))))))
        for keys in key_sets:
            layout = store.layouts(section, keys)
            for _ in range(2):
                for rec in reg.practice.section(section):
                    rid = f"{section}/{rec.id}"
                    made: dict[str, Any] = {"k": layout.kind}
                    layout.fill(rec, rid, made)
                    expected: dict[str, Any] = {"k": layout.kind}
                    plain_fill(layout, rec, rid, expected)
                    assert list(made.items()) == list(expected.items())
                    assert body(made) == body(expected)
                    compared += 1
    return compared


def test_the_fill_makes_what_the_plain_fill_makes_on_the_example() -> None:
    reg = load_registry(ROOT / "examples" / "practice.json")
    assert _fills_agree(reg) > 0


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reg=practice_registries(max_people=6), data=st.data())
def test_the_fill_makes_what_the_plain_fill_makes(reg: Registry, data: st.DataObject) -> None:
    note(registry_json(reg))
    _fills_agree(reg, data)
