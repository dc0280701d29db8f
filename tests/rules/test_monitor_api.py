"""Monitor's everyday API: preview, the context manager, remove_person, did-you-mean."""

from __future__ import annotations

import threading

import pytest

import dualrel
from dualrel._internal.suggest import SUGGEST_BUDGET
from dualrel.errors import InvalidArgument, RegistryError
from dualrel.graph import load_registry
from dualrel.graph.model import Person, Registry, Tie
from dualrel.rules import Monitor, evaluate

from .test_monitor import state


@pytest.fixture(scope="module")
def example() -> Registry:
    return load_registry(dualrel.example_registry())


def batch(registry: Registry, people: tuple[Person, ...], ties: tuple[Tie, ...]) -> object:
    reg = Registry(people=people, ties=ties, as_of=registry.as_of)
    return evaluate(reg, "coaching-core").findings


def test_preview_says_what_add_tie_would_raise_and_changes_nothing(example: Registry) -> None:
    m = Monitor("coaching-core", example)
    before = state(m)
    tie = Tie("t-new", "business", "co002", "cl0001")
    preview = m.preview(tie)
    assert [(f.rule, f.evidence) for f in preview.appeared] == [
        ("business-active-client", ("t011", "t-new"))
    ]
    assert state(m) == before
    assert m.findings() == evaluate(example, "coaching-core").findings
    # previewing again gives the same, and adding gives what the preview said
    assert m.preview(tie) == preview
    assert m.add_tie(tie) == preview
    assert m.findings() == batch(example, example.people, (*example.ties, tie))


def test_a_refused_preview_raises_what_add_tie_raises_and_changes_nothing(
    example: Registry,
) -> None:
    m = Monitor("coaching-core", example)
    before = state(m)
    bad = Tie("t001", "romance", "co02", "cl0001")  # a tie id it holds, a person it does not
    with pytest.raises(RegistryError) as previewed:
        m.preview(bad)
    assert state(m) == before
    with pytest.raises(RegistryError) as added:
        m.add_tie(bad)
    assert previewed.value.problems == added.value.problems
    assert {(p.code, p.field) for p in previewed.value.problems} == {
        ("duplicate-id", "id"),
        ("unknown-person", "source"),
    }
    assert state(m) == before


def test_previews_leave_no_trace_in_the_numbering(example: Registry) -> None:
    # a preview numbers its tie in each store and gives the number back: a thousand
    # previews later the next tie is numbered as if none had happened
    m = Monitor("coaching-core", example)
    numbers = [dict(s.tie_number) for s in m._stores]
    for i in range(20):
        m.preview(Tie(f"p{i}", "coaching", "co002", "cl0001"))
    assert [dict(s.tie_number) for s in m._stores] == numbers


def test_the_context_manager_closes_the_engines(example: Registry) -> None:
    with Monitor("coaching-core", example) as m:
        assert isinstance(m, Monitor)
        m.add_tie(Tie("t-new", "business", "co002", "cl0001"))
        open_findings = m.findings()
    assert all(e._handle is None for e in m._engines)  # the engines' memory is freed
    # what it found stays readable; changes and previews are refused, changing nothing
    assert m.findings() == open_findings
    assert m.report().findings == open_findings
    before = state(m)
    for call in (
        lambda: m.add_tie(Tie("t-2", "romance", "co002", "cl0001")),
        lambda: m.preview(Tie("t-2", "romance", "co002", "cl0001")),
        lambda: m.remove_tie("t-new"),
        lambda: m.add_person(Person("zz")),
        lambda: m.remove_person("co002"),
    ):
        with pytest.raises(InvalidArgument, match="this Monitor is closed"):
            call()
    assert state(m) == before
    m.close()  # closing twice is harmless


def test_leaving_the_block_by_an_error_closes_too(example: Registry) -> None:
    with pytest.raises(KeyError), Monitor("coaching-core", example) as m:
        raise KeyError("boom")
    assert all(e._handle is None for e in m._engines)


def test_remove_person_removes_their_ties_and_equals_evaluate(example: Registry) -> None:
    m = Monitor("coaching-core", example)
    coach = "co002"
    theirs = {t.id for t in example.ties if coach in (t.source, t.target)}
    assert theirs
    opened = {f.fingerprint for f in m.findings()}
    delta = m.remove_person(coach)
    people = tuple(p for p in example.people if p.id != coach)
    ties = tuple(t for t in example.ties if t.id not in theirs)
    expected = batch(example, people, ties)
    assert m.findings() == expected
    # the delta is the change: the coach's findings resolved, nothing else moved
    assert {f.fingerprint for f in delta.resolved} == opened - {f.fingerprint for f in expected}
    assert delta.resolved and all(coach in f.subjects.values() for f in delta.resolved)
    assert delta.appeared == ()
    assert not set(m._ties) & theirs
    # symmetric with add_person: the same id can be added again, with other roles, and
    # ties to it are checked as for anyone
    assert m.add_person(Person(coach, ("client",))) == m.add_person(Person("someone-else"))
    m.add_tie(Tie("t-back", "coaching", "co001", coach))
    people += (Person(coach, ("client",)), Person("someone-else"))
    ties += (Tie("t-back", "coaching", "co001", coach),)
    assert m.findings() == batch(example, people, ties)


def test_remove_person_of_someone_unknown_suggests_and_changes_nothing(
    example: Registry,
) -> None:
    m = Monitor("coaching-core", example)
    before = state(m)
    with pytest.raises(RegistryError) as info:
        m.remove_person("co02")
    [problem] = info.value.problems
    assert (problem.code, problem.field, problem.record) == ("unknown-person", "id", "co02")
    assert "did you mean 'co002'" in problem.message
    with pytest.raises(RegistryError, match="a person id must be a string, got int"):
        m.remove_person(2)  # type: ignore[arg-type]
    assert state(m) == before


def test_unknown_ids_get_did_you_mean_but_never_a_name() -> None:
    secret = "Dana Quill"
    reg = Registry(
        people=(
            Person("coach-17", ("coach",), name=secret),
            Person("client-4", ("client",), name=secret),
        ),
        ties=(Tie("tie-1", "coaching", "coach-17", "client-4"),),
    )
    m = Monitor("coaching-core", reg)
    with pytest.raises(RegistryError) as info:
        m.add_tie(Tie("tie-2", "romance", "coach-71", "clent-4"))
    messages = {p.field: p.message for p in info.value.problems}
    assert messages == {
        "source": "no person 'coach-71' (did you mean 'coach-17'?)",
        "target": "no person 'clent-4' (did you mean 'client-4'?)",
    }
    with pytest.raises(RegistryError) as removed:
        m.remove_tie("tie-l")
    assert [p.message for p in removed.value.problems] == ["no tie 'tie-l' (did you mean 'tie-1'?)"]
    assert secret not in str(info.value) + str(removed.value)
    # nothing close: no suggestion
    with pytest.raises(RegistryError, match=r"no person 'zzz'$"):
        m.remove_person("zzz")


def test_previews_and_removals_from_threads_agree_with_evaluate(example: Registry) -> None:
    # the lock serialises previews with changes: a preview never sees, and never leaves,
    # a change half made
    m = Monitor("coaching-core", example)
    added = [Tie(f"x{i}", "business", "co002", "cl0001") for i in range(8)]
    errors: list[BaseException] = []

    def change() -> None:
        try:
            for tie in added:
                m.add_tie(tie)
            m.remove_person("co003")
        except BaseException as e:
            errors.append(e)

    def look() -> None:
        try:
            for i in range(30):
                m.preview(Tie(f"look{i}", "romance", "co001", "cl0002"))
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=change), threading.Thread(target=look)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    gone = {t.id for t in example.ties if "co003" in (t.source, t.target)}
    people = tuple(p for p in example.people if p.id != "co003")
    ties = tuple(t for t in example.ties if t.id not in gone) + tuple(added)
    assert m.findings() == batch(example, people, ties)


def test_a_monitor_of_too_many_ids_to_compare_suggests_nothing() -> None:
    # comparing an id with every id held would exceed the suggestion budget: the refusal
    # says so without reading a million ids' lengths under the lock
    name = "q00000012"  # one letter from p00000012
    many = SUGGEST_BUDGET // (2 * len(name)) + 1
    reg = Registry(people=tuple(Person(f"p{i:08d}") for i in range(many)), ties=())
    m = Monitor("coaching-core", reg)
    with pytest.raises(RegistryError) as info:
        m.remove_person(name)
    assert [p.message for p in info.value.problems] == [f"no person {name!r}"]
    m.remove_person("p00000001")  # one fewer: now affordable
    with pytest.raises(RegistryError, match="did you mean 'p00000012'"):
        m.remove_person(name)
