"""The examples of docs/rulesets.md load, compile and mean what the text says."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from dualrel.graph.model import Person, Registry, Tie
from dualrel.rules import evaluate, load_ruleset
from tests.rules.recipes import check_example, yaml_blocks

DOC = Path(__file__).resolve().parents[2] / "docs" / "rulesets.md"


def test_the_reference_example_works(tmp_path):
    block = re.findall(r"```yaml\n(.*?)```", DOC.read_text(), flags=re.S)[0]
    path = tmp_path / "example.yaml"
    path.write_text(block)
    rs = load_ruleset(path)
    reg = Registry(
        people=(Person("co"), Person("cl")),
        ties=(
            Tie("c", "coaching", "co", "cl", end=date(2025, 1, 1)),
            Tie("r", "romance", "cl", "co", start=date(2025, 6, 1)),
        ),
        as_of=date(2026, 1, 1),
    )
    (f,) = evaluate(reg, rs).findings
    assert (f.rule, f.evidence, f.remediation[0].due) == (
        "romance-former-client",
        ("c", "r"),
        date(2026, 1, 15),
    )


def test_the_composing_codes_example_works(tmp_path):
    (block,) = yaml_blocks(DOC, "Composing codes")
    path = tmp_path / "our-practice.yaml"
    path.write_text(block)
    rs = load_ruleset(path, lint=True)
    assert rs.rule("romance-former-client").parameters["former_client_window_days"] == 1825
    assert rs.rule("romance-former-client").citations[0].code == "ACA-2014"
    assert rs.rule("coaching-without-agreement").title == "Coaching before the agreement is signed"
    signed = {"agreement_signed": "2025-01-01"}
    reg = Registry(
        people=(Person("co"), Person("cl1"), Person("cl2"), Person("sp")),
        ties=(
            Tie("c1", "coaching", "co", "cl1", attributes=signed),
            Tie("c2", "coaching", "co", "cl2", attributes=signed),
            Tie("s", "sponsorship", "sp", "cl1"),
            Tie("r1", "romance", "co", "cl1"),
            Tie("r2", "romance", "cl2", "co"),
        ),
        as_of=date(2026, 1, 1),
    )
    found = evaluate(reg, rs).findings
    assert [(f"{f.ruleset.id}/{f.rule}", f.subjects["client"]) for f in found] == [
        ("coaching-core/romance-active-client", "cl2"),
        ("our-practice/romance-client-with-sponsor", "cl1"),
    ]
    # with coaching-core given too: the same findings, once each
    assert evaluate(reg, ["coaching-core", rs]).findings == found


def test_the_path_example_finds_the_coach_in_their_reporting_line(tmp_path):
    path = tmp_path / "paths.yaml"
    path.write_text(yaml_blocks(DOC, "Chains of ties: `paths`")[0])
    rs = load_ruleset(path)
    people = tuple(Person(p, ("coach",) if p == "ceo" else ()) for p in ("ceo", "vp", "dir", "eng"))
    ties = (
        Tie("m1", "management", "ceo", "vp"),
        Tie("m2", "management", "vp", "dir"),
        Tie("m3", "management", "dir", "eng"),
        Tie("c1", "coaching", "ceo", "eng"),
        Tie("c2", "coaching", "ceo", "vp"),
        Tie("c3", "coaching", "eng", "ceo"),  # eng is no coach, and ceo is above eng
    )
    reg = Registry(people, ties, as_of=date(2026, 1, 1))
    found = {(f.subjects["client"], f.evidence) for f in evaluate(reg, rs).findings}
    # the text: evidence c1, m1, m2, m3; and the direct report, one hop
    assert found == {("eng", ("c1", "m1", "m2", "m3")), ("vp", ("c2", "m1"))}


def test_the_people_example_works(tmp_path):
    path = tmp_path / "people.yaml"
    (block,) = yaml_blocks(DOC, "People's fields and numbers")
    path.write_text(block)
    rs = load_ruleset(path)

    def rules(coach_org, position, gift):
        reg = Registry(
            people=(
                Person("co", ("coach",), organisation=coach_org, attributes={"position": position}),
                Person("cl", (), organisation="Acme"),
            ),
            ties=(
                Tie("c", "coaching", "co", "cl"),
                Tie("g", "gift", "cl", "co", attributes={"value": gift}),
            ),
            as_of=date(2026, 1, 1),
            kinds={"gift": True},
        )
        return {f.rule for f in evaluate(reg, rs).findings}

    assert rules("Acme", "Professor", "101") == {"senior-academic-coach", "gift-above-limit"}
    assert rules("Beta", "Professor", "100") == set()  # another organisation; not above
    assert rules("Acme", "Lecturer", "n/a") == set()  # not senior; not a number


#: Sections of docs/rulesets.md whose examples are a ruleset block and a case block.
EXAMPLES = (
    "Known dates, fixed dates and date attributes",
    "Negated clauses with conditions",
    "Named sub-patterns",
    "Symmetric patterns",
)


def _examples() -> list[tuple[str, str, str]]:
    out = []
    for title in EXAMPLES:
        ruleset, cases = yaml_blocks(DOC, title)
        out.append((title, ruleset, cases))
    return out


@pytest.mark.parametrize(("title", "ruleset", "cases"), _examples(), ids=list(EXAMPLES))
def test_a_section_example_passes_its_cases(tmp_path, title, ruleset, cases):
    check_example(tmp_path, title, ruleset, cases)
