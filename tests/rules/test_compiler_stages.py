"""The compiler's stages: the docstring lists them in the order the code runs them."""

from __future__ import annotations

import re

from dualrel.rules import compiler, load_ruleset


def test_the_docstring_lists_the_stages_in_their_order():
    assert compiler.__doc__ is not None
    listed = re.findall(r"^\d+\. ``(\w+)``", compiler.__doc__, flags=re.M)
    assert listed == [name for name, _ in compiler.STAGES]


def test_every_stage_is_timed():
    times: dict[str, float] = {}
    compiler.compile_ruleset(load_ruleset("coaching-practice"), timings=times)
    assert list(times) == [name for name, _ in compiler.STAGES]
    assert all(t >= 0 for t in times.values())
