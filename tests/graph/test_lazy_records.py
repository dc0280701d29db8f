"""Contacts read by columns stay columns in a check's registry (``LazyRecords``), and are
the very records the row-by-row reader gives, whichever way they are asked for."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dualrel._internal.problems import Collector
from dualrel.errors import RegistryError
from dualrel.graph import _csv
from dualrel.graph._lazy_records import LazyRecords
from dualrel.graph.columns import ColumnarRegistry, load_for_rules
from dualrel.graph.model import CORE_ROLES, CORE_TIE_KINDS, Registry
from tests.graph.test_csv_columns import (
    AT,
    CONTACT_PEOPLE,
    CONTACT_TIES,
    _plain,
    contact_files,
)


def _read(folder: Path, *, columnar: bool) -> Registry | ColumnarRegistry | None:
    """The registry as the row-by-row reader (``columnar=False``) or a check reading by
    columns reads it (None: it has errors)."""
    load = _csv.load_csv_columns if columnar else _csv.load_csv_folder
    try:
        return load(
            str(folder),
            Collector(),
            kinds=CORE_TIE_KINDS,
            roles=CORE_ROLES,
            as_of=None,
            columnar=columnar,
        )
    except RegistryError:
        return None


def _rows(folder: Path) -> Registry | None:
    got = _read(folder, columnar=False)
    assert got is None or isinstance(got, Registry)
    return got


def _lazy(folder: Path) -> Registry | ColumnarRegistry | None:
    return _read(folder, columnar=True)


@settings(max_examples=300, deadline=None)
@given(contacts=contact_files(), picks=st.lists(st.integers(0, 7), max_size=6))
def test_lazy_contacts_are_the_records_rows_give(contacts: str, picks: list[int]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        d = _plain(Path(tmp), CONTACT_PEOPLE, CONTACT_TIES)
        (d / "contacts.csv").write_text(contacts, encoding="utf-8")
        want, got = _rows(d), _lazy(d)
        assert (want is None) == (got is None)
        if want is None or got is None:
            return
        assert isinstance(got, ColumnarRegistry)
        expected = want.practice.contacts
        kept = got.registry.practice.contacts
        rows = [i for i in picks if i < len(expected)]
        if isinstance(kept, LazyRecords):  # read by columns (else by rows: a tuple)
            assert kept.objects(rows) == [expected[i] for i in rows]
            assert [kept[i] for i in rows] == [expected[i] for i in rows]
            assert kept.ids == [k.id for k in expected]
        # every record where the row reader located it, without making them
        for k in expected:
            assert got.registry.locations[("contact", k.id)] == want.locations[("contact", k.id)]
        assert got.registry.practice == want.practice
        full = got.full()
        assert type(full.practice.contacts) is tuple
        assert full.practice == want.practice


def test_lazy_records_stand_for_their_tuple(tmp_path: Path) -> None:
    d = _plain(tmp_path, CONTACT_PEOPLE, CONTACT_TIES)
    (d / "contacts.csv").write_text(
        "id,coach,client,channel,at,initiated_by,responded_at\n"
        f"ct1,co1,cl1,email,{AT[0]},client,{AT[1]}\n"
        f"ct2,co1,cl2,phone,{AT[2]},coach,\n"
        f"ct3,co1,cl1,sms,{AT[0]},coach,\n",
        encoding="utf-8",
    )
    want = _rows(d)
    got = _lazy(d)
    assert want is not None and isinstance(got, ColumnarRegistry)
    kept = got.registry.practice.contacts
    assert isinstance(kept, LazyRecords)
    expected = want.practice.contacts
    assert len(kept) == 3
    assert kept[-1] == expected[2]
    assert kept[1:] == expected[1:]
    for bad in (3, -4):
        try:
            kept[bad]
        except IndexError:
            pass
        else:
            raise AssertionError(f"index {bad} is out of range")
    assert kept.objects([2, 0, 2]) == [expected[2], expected[0], expected[2]]
    # hashed as the tuple is: contacts (their attributes a mapping) are not hashable
    for records in (kept, expected):
        with pytest.raises(TypeError, match="unhashable"):
            hash(records)
    assert kept + () == expected  # noqa: RUF005 (the operator is what is tested)
    assert () + kept == expected  # noqa: RUF005
    assert list(reversed(kept)) == list(reversed(expected))
    # iterated once, the records are made once: every later reader sees the same objects
    first = list(kept)
    assert all(a is b for a, b in zip(first, kept, strict=True))
    assert kept[0] is first[0]
    assert repr(kept) == repr(expected)


def test_contacts_of_a_second_file_are_added_to_the_first(tmp_path: Path) -> None:
    d = tmp_path / "split"
    d.mkdir()
    (d / "people-1.csv").write_text(CONTACT_PEOPLE, encoding="utf-8")
    (d / "ties-1.csv").write_text(CONTACT_TIES, encoding="utf-8")
    header = "id,coach,client,channel,at,initiated_by,responded_at\n"
    (d / "contacts-1.csv").write_text(
        header + f"ct1,co1,cl1,email,{AT[0]},client,{AT[1]}\n", encoding="utf-8"
    )
    (d / "contacts-2.csv").write_text(
        header + f"ct2,co1,cl2,phone,{AT[2]},coach,\n", encoding="utf-8"
    )
    want, got = _rows(d), _lazy(d)
    assert want is not None and got is not None
    practice = got.registry.practice if isinstance(got, ColumnarRegistry) else got.practice
    assert [k.id for k in practice.contacts] == ["ct1", "ct2"]
    assert practice == want.practice


def test_a_check_registry_keeps_contacts_as_columns(tmp_path: Path) -> None:
    d = _plain(tmp_path, CONTACT_PEOPLE, CONTACT_TIES)
    (d / "contacts.csv").write_text(
        "id,coach,client,channel,at,initiated_by\n"
        + "".join(f"ct{i},co1,cl1,email,{AT[i % 3]},client\n" for i in range(5)),
        encoding="utf-8",
    )
    import pyarrow  # noqa: F401, PLC0415 (imported: every size is read by columns)

    got: Any = load_for_rules(d)[0]
    assert isinstance(got, ColumnarRegistry)
    assert isinstance(got.registry.practice.contacts, LazyRecords)
    assert [k.id for k in got.full().practice.contacts] == [f"ct{i}" for i in range(5)]


def test_contacts_stay_a_tuple_when_the_ties_are_read_row_by_row(tmp_path: Path) -> None:
    """A quoted value in people.csv sends people and ties to the row reader, while
    contacts.csv is still read by columns: what comes back is a plain ``Registry``, and a
    plain registry's sections are tuples (only a ``ColumnarRegistry`` keeps them lazy)."""
    people = 'id,roles\nco1,coach\n"cl1",client\ncl2,client\n'
    d = _plain(tmp_path, people, CONTACT_TIES)
    (d / "contacts.csv").write_text(
        "id,coach,client,channel,at,initiated_by\n"
        + "".join(f"ct{i},co1,cl1,email,{AT[i % 3]},client\n" for i in range(5)),
        encoding="utf-8",
    )
    import pyarrow  # noqa: F401, PLC0415 (imported: every size is read by columns)

    got: Any = load_for_rules(d)[0]
    assert isinstance(got, Registry)
    assert type(got.practice.contacts) is tuple
    assert [k.id for k in got.practice.contacts] == [f"ct{i}" for i in range(5)]
