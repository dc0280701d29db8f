"""The compiler's search for a pattern's symmetries (``rules/_symmetry.py``).

It backtracks over the variables instead of trying every permutation of each class of
interchangeable ones, so a chain of nine friends (9! orderings, two symmetries) is
searched and reported once per match, as the oracle reports it; a pattern with more
symmetries than a match can be compared with is refused, located.
"""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dualrel.errors import RulesetError
from dualrel.graph.model import Person, Registry, Tie
from dualrel.rules import evaluate
from dualrel.rules._symmetry import _dump, _preserved, symmetries
from dualrel.rules.conditions import field_kinds
from dualrel.rules.schema import Match
from tests.oracle import oracle
from tests.rules.test_v2_dates_symmetry import RULE, load_ruleset_text

AS_OF = date(2026, 1, 1)
HEAD = 'id: sym-search\nversion: "1"\ntitle: symmetry search\nrules:\n'


def brute_force(match: Match) -> set[tuple[tuple[str, str], ...]]:
    """Every permutation within classes of equal specs that keeps the pattern: what the
    search must find, tried one by one."""
    variables = list(match.people)
    kinds_of = field_kinds(match)
    out = set()
    for image in itertools.permutations(variables):
        sigma = dict(zip(variables, image, strict=True))
        if image == tuple(variables):
            continue
        if any(_dump(match.people[v]) != _dump(match.people[sigma[v]]) for v in variables):
            continue
        if _preserved(match, sigma, kinds_of):
            out.add(tuple((v, sigma[v]) for v in variables))
    return out


KINDS = ("friendship", "romance", "coaching")


@st.composite
def patterns(draw):
    n = draw(st.integers(2, 6))
    variables = [f"v{i}" for i in range(n)]
    people = {v: draw(st.sampled_from([{}, {}, {"roles": ["coach"]}])) for v in variables}
    ties = []
    for _ in range(draw(st.integers(1, 7))):
        a, b = draw(st.lists(st.sampled_from(variables), min_size=2, max_size=2, unique=True))
        kind = draw(st.sampled_from(KINDS))
        if draw(st.booleans()):
            ties.append({"kind": kind, "between": [a, b]})
        else:
            ties.append({"kind": kind, "from": a, "to": b})
    bound = {v for t in ties for v in t.get("between", [t.get("from"), t.get("to")])}
    return Match.model_validate(
        {"people": {v: s for v, s in people.items() if v in bound}, "ties": ties}
    )


@settings(max_examples=150, deadline=None)
@given(match=patterns())
def test_the_search_finds_exactly_what_trying_every_permutation_finds(match):
    assert set(symmetries(match)) == brute_force(match)


def chain(n: int) -> str:
    people = ", ".join(f"p{i}: {{}}" for i in range(n))
    ties = "".join(
        f"        - {{kind: friendship, between: [p{i}, p{i + 1}]}}\n" for i in range(n - 1)
    )
    return HEAD + RULE.format(id="chain") + f"      people: {{{people}}}\n      ties:\n{ties}"


def line_of_friends(n: int) -> Registry:
    people = tuple(Person(f"x{i:02d}") for i in range(n))
    ties = tuple(Tie(f"f{i}", "friendship", f"x{i:02d}", f"x{i + 1:02d}") for i in range(n - 1))
    return Registry(people=people, ties=ties, as_of=AS_OF)


def test_a_chain_of_nine_friends_has_one_symmetry_and_is_reported_once():
    compiled = load_ruleset_text(chain(9))
    (rule,) = compiled.rules
    assert [dict(p) for p in rule.symmetries] == [{f"p{i}": f"p{8 - i}" for i in range(9)}]
    # a line of eleven friends holds three chains of nine; each is one finding
    found = evaluate(line_of_friends(11), compiled).findings
    assert sorted(f.subjects["p0"] for f in found) == ["x00", "x01", "x02"]


@pytest.mark.large  # the oracle tries all 9! orderings of the variables
def test_a_chain_of_nine_friends_gives_the_oracles_findings():
    compiled = load_ruleset_text(chain(9))
    registry = line_of_friends(12)
    ours = {
        (f.rule, tuple(sorted(f.subjects.items())), f.evidence)
        for f in evaluate(registry, compiled).findings
    }
    assert ours == oracle(compiled.ruleset, registry, AS_OF)
    assert len(ours) == 4


def test_a_pattern_with_more_symmetries_than_can_be_compared_is_refused_located():
    people = ", ".join(["coach: {roles: [coach]}"] + [f"c{i}: {{}}" for i in range(9)])
    ties = "".join(f"        - {{kind: coaching, from: coach, to: c{i}}}\n" for i in range(9))
    text = HEAD + RULE.format(id="star") + f"      people: {{{people}}}\n      ties:\n{ties}"
    with pytest.raises(RulesetError) as err:
        load_ruleset_text(text)
    (problem,) = err.value.problems
    assert (problem.code, problem.pointer) == ("too-symmetric", "/rules/0/match")
