"""Record admission on columns (``rules/_admit_columns``) against the record path it
stands in for: the fact fields it makes as columns are the values the record fill gives
the fact, and a store built with every section admitted on columns holds the same
records, facts, people's records, counted shares and unmet tests as one built with every
record tested one by one, on generated registries with practice sections."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from dualrel.graph import Registry, load_registry
from dualrel.graph.practice import Contact
from dualrel.rules import _admit, prepare
from dualrel.rules._admit_columns import _passing, fact_columns
from dualrel.rules._build import build_store
from dualrel.rules._sessions import Store
from dualrel.rules._tester import exact_tester, lenient_tester
from dualrel.rules.plan import CompiledRuleset
from dualrel.rules.sections import SECTIONS
from dualrel.testing.strategies import practice_registries, registry_json

ROOT = Path(__file__).resolve().parents[2]
PRACTICE = prepare("coaching-practice")[0]


@contextmanager
def columns_from(records: int) -> Iterator[None]:
    """Admission on columns from this many records of a section up (0: every section)."""
    before = _admit.COLUMNS_MIN_RECORDS
    _admit.COLUMNS_MIN_RECORDS = records
    try:
        yield
    finally:
        _admit.COLUMNS_MIN_RECORDS = before


def admitted(compiled: CompiledRuleset, reg: Registry, *, columns: bool) -> dict[str, Any]:
    """What admission leaves in a batch store of ``reg``."""
    assert reg.as_of is not None
    with columns_from(0 if columns else 1 << 62):
        store = build_store(compiled, reg, reg.as_of, prune=True)
    return left_by_admission(store)


def left_by_admission(store: Any) -> dict[str, Any]:
    """What admission left in ``store``: its records, by section and by person, the
    tests unmet, the share counts, the fact texts and each record's facts."""
    index = store.record_index
    return {
        "records": list(index.records),
        "by_section": {s: [r.id for r in recs] for s, recs in index.by_section.items()},
        "records_of": dict(index.records_of),
        "unmet": index.unmet,
        "share_counts": index.share_counts,
        "texts": dict(store.record_facts.texts),
        "facts": [store.record_body(rid) for rid in index.records],
    }


def columns_agree(reg: Registry, *, far: bool = False) -> int:
    """Every section's fact columns hold the record fill's values; how many compared.
    ``far``: the contacts hold a time too far from the date for columns (none made)."""
    assert reg.as_of is not None
    store = Store(PRACTICE, reg.as_of)
    compared = 0
    for section in sorted(SECTIONS):
        records = reg.practice.section(section)
        layout = store.layouts(section, PRACTICE.schema.record_reads.get(section, frozenset()))
        cols = fact_columns(layout, records)
        if cols is None:
            assert layout.lists or layout.windows or layout.value_sets or far
            continue
        assert not (far and section == "contacts")
        for i, rec in enumerate(records):
            fact: dict[str, Any] = {"k": layout.kind}
            layout.fill(rec, f"{section}/{rec.id}", fact)
            for field, col in cols.columns.items():
                there = col.present[i].as_py()
                assert there == (field in fact), (section, rec.id, field)
                if there:
                    assert col.values[i].as_py() == fact[field], (section, rec.id, field)
            assert set(fact) <= set(cols.columns)
            compared += 1
    return compared


def test_admission_on_columns_admits_what_the_record_path_admits_on_the_example() -> None:
    reg = load_registry(ROOT / "examples" / "practice.json")
    assert admitted(PRACTICE, reg, columns=True) == admitted(PRACTICE, reg, columns=False)
    assert columns_agree(reg) > 0


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reg=practice_registries(max_people=6, max_contacts=12))
def test_admission_on_columns_admits_what_the_record_path_admits(reg: Registry) -> None:
    note(registry_json(reg))
    assert admitted(PRACTICE, reg, columns=True) == admitted(PRACTICE, reg, columns=False)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reg=practice_registries(max_people=6, max_contacts=12))
def test_fact_columns_hold_the_record_fills_values(reg: Registry) -> None:
    note(registry_json(reg))
    columns_agree(reg)


def _registry(contacts: list[Contact]) -> Registry:
    from dualrel.graph.model import Person, Tie  # noqa: PLC0415
    from dualrel.graph.practice import Practice  # noqa: PLC0415

    return Registry(
        people=(Person("co", ("coach",)), Person("cl", ("client",))),
        ties=(Tie("t1", "coaching", "co", "cl"),),
        as_of=date(2026, 1, 1),
        practice=Practice(contacts=tuple(contacts)),
    )


#: Contact instants at the edges of what the columns hold
EDGE_INSTANTS = [
    datetime(1, 1, 1, 12, tzinfo=UTC),  # too far for a double's microseconds
    datetime(9999, 12, 29, 10, tzinfo=timezone(timedelta(hours=-12))),
    datetime(2025, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=14))),  # another day
    datetime(2025, 12, 20, 0, 0, 1, 7, tzinfo=timezone(timedelta(hours=-9, minutes=-30))),
]


@pytest.mark.parametrize("at", EDGE_INSTANTS)
def test_times_at_the_calendars_ends_and_odd_offsets_are_admitted_alike(at: datetime) -> None:
    contacts = [
        Contact("k1", "co", "cl", "sms", at, "client"),
        Contact("k2", "co", "cl", "email", at, "client", at + timedelta(hours=30, seconds=1)),
        Contact("k3", "co", "cl", "email", at, "coach"),
    ]
    reg = _registry(contacts)
    assert admitted(PRACTICE, reg, columns=True) == admitted(PRACTICE, reg, columns=False)
    columns_agree(reg, far=at.year in (1, 9999))


def _tests(fields: list[str]) -> st.SearchStrategy[list[dict[str, Any]]]:
    """Lists of tests in the compiler's form on ``fields`` (and one no fact has), with
    operands near the values facts hold, of every type the forms take."""
    name = st.sampled_from([*fields, "x_nowhere"])
    operand = st.one_of(
        st.integers(-40, 1500),
        st.floats(-40, 60, allow_nan=False),
        st.booleans(),
        st.none(),
        st.sampled_from(["@contacts", "@records", "client", "coach", "email", "sms", "1"]),
        st.sampled_from([2**53 + 1, -(2**60), float("inf")]),
    )
    test = st.one_of(
        st.builds(lambda f, v: {f: v}, name, operand),
        st.builds(lambda op, f: {op: {f: 1}}, st.sampled_from(["$ex", "$nex"]), name),
        st.builds(
            lambda op, f, v: {op: {f: v}},
            st.sampled_from(["$lt", "$lte", "$gt", "$gte"]),
            name,
            operand,
        ),
    )
    return st.lists(test, max_size=4)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reg=practice_registries(max_people=5, max_contacts=10), data=st.data())
def test_tests_on_columns_pass_where_the_testers_pass(reg: Registry, data: st.DataObject) -> None:
    """On every plain section, the lenient tests on columns pass exactly the facts
    ``lenient_tester`` passes, and the exact ones those ``exact_tester`` passes (or are
    refused where it is None)."""
    assert reg.as_of is not None
    store = Store(PRACTICE, reg.as_of)
    for section in ("contacts", "records", "assessments", "consents"):
        records = reg.practice.section(section)
        layout = store.layouts(section, PRACTICE.schema.record_reads.get(section, frozenset()))
        cols = fact_columns(layout, records)
        assert cols is not None
        facts = []
        for rec in records:
            fact: dict[str, Any] = {"k": layout.kind}
            layout.fill(rec, f"{section}/{rec.id}", fact)
            facts.append(fact)
        tests = data.draw(_tests(sorted(cols.columns)), label=section)
        lenient = _passing(cols, tests, exact=False)
        assert lenient is not None
        expected = [lenient_tester(tests)(f) for f in facts]
        found = lenient.to_pylist()
        # never stricter; the same unless compared with a number no double holds
        assert all(f or not e for f, e in zip(found, expected, strict=True))
        unheld = any(_unheld(t) for t in tests)
        if not unheld:
            assert found == expected
        exact = _passing(cols, tests, exact=True)
        check = exact_tester(tests)
        if check is None:  # a form the exact tester refuses: never asked on columns
            continue
        if unheld:
            assert exact is None
        else:
            assert exact is not None
            assert exact.to_pylist() == [check(f) for f in facts]


def _unheld(test: dict[str, Any]) -> bool:
    """Whether ``test`` compares with a whole number no double holds."""
    ((key, value),) = test.items()
    if not key.startswith("$") or key in ("$ex", "$nex"):
        return False
    ((_, operand),) = value.items()
    return type(operand) is int and abs(operand) >= 2**53
