"""``run_check``'s keyword arguments and :class:`CheckOptions` say the same thing."""

from __future__ import annotations

import dataclasses
import inspect

from dualrel.check import CheckOptions, run_check


def test_run_check_keywords_are_the_fields_of_check_options() -> None:
    params = inspect.signature(run_check).parameters
    keywords = {n: p.default for n, p in params.items() if p.kind is p.KEYWORD_ONLY}
    fields = {f.name: f.default for f in dataclasses.fields(CheckOptions)}
    assert keywords == fields
