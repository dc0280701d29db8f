"""The engine's fixed limits, and the check that a compiled ruleset keeps within them.

The C core (``csrc/durable``) grows most of its tables, but some limits remain: the facts
one match joins, the rules of one ruleset, and what the engine checks as it builds a rule
(the tests joining one clause, the fields of one fact).  A compiled ruleset beyond one is
refused here, located at the rule (``too-many-clauses``, ``engine-limit``) or the ruleset
(``too-many-rules``), so ``lint`` reports it and ``check`` never meets it in the engine.
The first two are counted; the others are found by building each rule alone in the engine,
which is what would refuse it.  ``docs/engine.md`` lists the limits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from dualrel.errors import Problem, ProblemCode, RulesetError
from dualrel.rules._durable import MAX_ENGINE_RULES, MAX_FACTS_PER_MATCH, refusal
from dualrel.rules.loader import Rule, Ruleset
from dualrel.rules.plan import CompiledRule, on_date

__all__ = ["check_limits", "located_at"]


def check_limits(ruleset: Ruleset, rules: Sequence[CompiledRule]) -> None:
    """Raise :class:`RulesetError` with every rule of ``rules`` the engine cannot hold."""
    problems: list[Problem] = []
    for compiled in rules:
        joined = max((len(v.condition.get("all", ())) for v in compiled.variants), default=0)
        if joined > MAX_FACTS_PER_MATCH:
            problems.append(
                located_at(
                    compiled.rule,
                    "too-many-clauses",
                    f"a match joins {joined} facts (its tie, path and record clauses, and "
                    f"those the compiler adds); the engine joins at most "
                    f"{MAX_FACTS_PER_MATCH}: split the pattern into rules",
                )
            )
        else:
            refused = _refused(compiled)
            if refused is not None:
                problems.append(located_at(compiled.rule, "engine-limit", refused))
    variants = sum(len(c.variants) for c in rules)
    if variants > MAX_ENGINE_RULES:
        problems.append(
            Problem(
                file=ruleset.file or ruleset.id,
                code="too-many-rules",
                message=f"ruleset {ruleset.id}: its rules compile to {variants} engine rules "
                f"(one per direction and alternative); the engine holds at most "
                f"{MAX_ENGINE_RULES}: split it into rulesets",
            )
        )
    if problems:
        raise RulesetError(problems)


def located_at(rule: Rule, code: ProblemCode, message: str) -> Problem:
    return Problem(
        file=rule.file,
        line=rule.line,
        pointer=f"{rule.pointer}/match",
        code=code,
        message=f"rule {rule.id}: {message}",
        record=rule.id,
        field="match",
    )


def _refused(compiled: CompiledRule) -> str | None:
    """Why the engine refuses to build ``compiled`` on its own, or None when it builds it."""
    # fixed dates become numbers of days; any evaluation date builds the same network
    why = refusal(on_date({v.name: v.condition for v in compiled.variants}, _ANY_DAY))
    if why is None:
        return None
    return f"the engine cannot build it: {why}; split the pattern into rules"


_ANY_DAY = date(2000, 1, 1)
