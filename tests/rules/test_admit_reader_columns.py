"""Admission from the columnar reader's columns (``SectionColumns``: each contact field's
distinct values and each contact's code) against admission from the contact objects:
the fact columns made once per distinct value are the ones made once per contact, and a
store admitting on them holds the same records, facts, people's records, counted shares
and unmet tests as the record path, on generated practice registries written as CSV
folders and read back as a check reads them (``load_for_rules``)."""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv  # imported, it has a folder of any size read by columns
import pytest
from hypothesis import HealthCheck, event, given, note, settings

from dualrel.graph import Registry, dump_registry
from dualrel.graph.columns import ColumnarRegistry, SectionColumns, load_for_rules
from dualrel.graph.model import Person, Tie
from dualrel.graph.practice import Agreement, Contact, Practice
from dualrel.rules import prepare
from dualrel.rules._admit_columns import FactColumns, fact_columns
from dualrel.rules._build import build_store
from dualrel.rules._sessions import Store
from dualrel.rules.engine import evaluate, registry_for
from dualrel.rules.plan import CompiledRuleset
from dualrel.testing.strategies import practice_registries, registry_json
from tests.rules.test_admit_columns import EDGE_INSTANTS, columns_from, left_by_admission

PRACTICE = prepare("coaching-practice")[0]


def _read(reg: Registry, folder: Path) -> ColumnarRegistry | None:
    """``reg`` written as a CSV folder and read back as ``dualrel check`` reads it; None
    when the columnar reader leaves the folder to the row reader (a person without a
    role, say)."""
    dump_registry(reg, folder, "csv")
    source, _ = load_for_rules(folder, as_of=reg.as_of)
    return source if isinstance(source, ColumnarRegistry) else None


def _admitted(
    compiled: CompiledRuleset, source: ColumnarRegistry, *, given: bool, columns: bool = True
) -> dict[str, Any]:
    """What admission leaves in a batch store of ``source``: on columns for every section
    (``columns``), the contacts' from the reader's columns when ``given``."""
    reg = source.full()
    assert reg.as_of is not None
    with columns_from(0 if columns else 1 << 62):
        store = build_store(
            compiled,
            reg,
            reg.as_of,
            prune=True,
            record_columns=source.record_columns if given else None,
        )
    return left_by_admission(store)


def _columns(cols: FactColumns | None) -> dict[str, tuple[list[Any], list[Any], bool]] | None:
    if cols is None:
        return None
    assert all(isinstance(c.values, pa.Array) for c in cols.columns.values())
    return {
        f: (c.values.to_pylist(), c.present.to_pylist(), c.number) for f, c in cols.columns.items()
    }


def _fact_columns_agree(source: ColumnarRegistry) -> bool:
    """The contacts' fact columns from the reader's columns are those from the objects;
    whether the reader kept columns of the contacts."""
    contacts = source.registry.practice.contacts
    given = SectionColumns.of(source.record_columns, "contacts", contacts)
    if given is None:
        return False
    as_of = source.registry.as_of
    assert as_of is not None
    store = Store(PRACTICE, as_of)
    reads = PRACTICE.schema.record_reads.get("contacts", frozenset())
    # every field the facts carry, and each one alone (a layout with a number but not
    # the time it is counted from, say)
    for fields in [reads, *({f} for f in sorted(reads))]:
        layout = store.layouts("contacts", frozenset(fields))
        assert _columns(fact_columns(layout, contacts, given)) == _columns(
            fact_columns(layout, contacts)
        ), sorted(fields)
    return True


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(reg=practice_registries(max_people=6, max_contacts=14))
def test_admission_from_the_readers_columns_admits_what_the_records_do(reg: Registry) -> None:
    note(registry_json(reg))
    with tempfile.TemporaryDirectory() as tmp:
        source = _read(reg, Path(tmp) / "reg")
        if source is None:
            event("read by rows")
            return
        event("contacts as columns" if _fact_columns_agree(source) else "no contact columns")
        from_records = _admitted(PRACTICE, source, given=False, columns=False)
        assert _admitted(PRACTICE, source, given=True) == from_records
        assert _admitted(PRACTICE, source, given=False) == from_records


def _contacts_registry(contacts: list[Contact]) -> Registry:
    """The contacts of a coach and a client whose agreement allows email on weekdays
    from nine to five, and answers within a day."""
    agreement = Agreement(
        "a1",
        "t1",
        signed=date(2025, 1, 2),
        covers=("confidentiality", "escalation"),
        channels=("email",),
        response_window_hours=24,
        reviewed=date(2025, 11, 2),
        hours="09:00-17:00",
        days=("mon", "tue", "wed", "thu", "fri"),
    )
    return Registry(
        people=(Person("co", ("coach",)), Person("cl", ("client",))),
        ties=(Tie("t1", "coaching", "co", "cl", start=date(2025, 1, 1)),),
        as_of=date(2026, 1, 1),
        practice=Practice(agreements=(agreement,), contacts=tuple(contacts)),
    )


@pytest.mark.parametrize("at", [*EDGE_INSTANTS, datetime(2025, 12, 20, 9, 0, tzinfo=UTC)])
def test_contacts_sharing_times_channels_and_people_are_admitted_alike(
    tmp_path: Path, at: datetime
) -> None:
    """Few distinct values, each shared by several contacts (the reader's columns hold
    each once), some answered, some not, some answered at the same time."""
    later = at + timedelta(hours=30, seconds=1)
    contacts = [
        Contact(f"k{i}", "co", "cl", channel, when, by, answer)
        for i, (channel, when, by, answer) in enumerate(
            [
                ("sms", at, "client", None),
                ("email", at, "client", later),
                ("email", at, "coach", None),
                ("sms", at + timedelta(minutes=1), "client", later),
                ("phone", at, "client", later),
                ("email", at + timedelta(minutes=1), "client", None),
            ]
        )
    ]
    source = _read(_contacts_registry(contacts), tmp_path / "reg")
    assert source is not None
    assert _fact_columns_agree(source)
    from_records = _admitted(PRACTICE, source, given=False, columns=False)
    assert _admitted(PRACTICE, source, given=True) == from_records
    if abs(at.date() - date(2026, 1, 1)) < timedelta(days=20):  # inside the window
        # the client's contacts counted for late-responses, grouped by coach and client
        (name,) = [r.name for r in PRACTICE.rules if r.counted_share is not None]
        counted = from_records["share_counts"][name]
        assert list(counted.values()) == [{"k0", "k1", "k3", "k4", "k5"}], counted


def test_columns_describe_only_the_records_they_were_read_for(tmp_path: Path) -> None:
    at = datetime(2025, 12, 20, 9, 0, tzinfo=UTC)
    contacts = [Contact(f"k{i}", "co", "cl", "sms", at, "client") for i in range(3)]
    source = _read(_contacts_registry(contacts), tmp_path / "reg")
    assert source is not None
    read = source.registry.practice.contacts
    assert SectionColumns.of(source.record_columns, "contacts", read) is not None
    # the same records in another tuple (a registry made again, or narrowed): not theirs
    assert SectionColumns.of(source.record_columns, "contacts", tuple(iter(read))) is None
    assert SectionColumns.of(source.record_columns, "agreements", read) is None
    assert SectionColumns.of(None, "contacts", read) is None


def test_a_checks_findings_are_the_same_with_the_readers_columns(tmp_path: Path) -> None:
    """The narrowed registry a check evaluates carries the reader's columns, and the
    findings are those of the registry read whole."""
    at = datetime(2025, 12, 27, 22, 30, tzinfo=timezone(timedelta(hours=1)))
    contacts = [
        Contact(f"k{i}", "co", "cl", "sms", at + timedelta(minutes=i % 3), "client")
        for i in range(8)
    ]
    source = _read(_contacts_registry(contacts), tmp_path / "reg")
    assert source is not None
    narrowed = registry_for(source, [PRACTICE], as_of=date(2026, 1, 1))
    assert getattr(narrowed, "record_columns", None) == source.record_columns
    with columns_from(0):
        found = evaluate(narrowed, [PRACTICE]).findings
    with columns_from(1 << 62):
        whole = evaluate(source.full(), [PRACTICE]).findings
    assert found == whole
    assert {"contact-outside-agreement", "late-responses"} <= {f.rule for f in found}
