"""'Did you mean' suggestions for unknown names, at a bounded cost.

The suggestions are :func:`difflib.get_close_matches`'s (the two closest names with a
similarity of at least 0.6).  Comparing two names costs about their lengths added, and a
registry can hold thousands of ids and thousands of unknown references to them (two
hundred ids of 20,000 characters took two minutes to validate), so a :class:`Suggester`
spends at most :data:`SUGGEST_BUDGET` characters of comparison in all and compares no name
longer than :data:`SUGGEST_MAX_LENGTH`.  A name it cannot afford gets no suggestion; a
name it suggests for gets exactly difflib's.
"""

from __future__ import annotations

import difflib
import heapq
from collections.abc import Iterable

__all__ = [
    "SUGGEST_BUDGET",
    "SUGGEST_MAX_LENGTH",
    "Suggester",
    "did_you_mean",
    "hint_text",
    "near_lengths",
    "scored",
]

#: longer names get no suggestion (a name of a few hundred characters is no typing slip)
SUGGEST_MAX_LENGTH = 64
#: characters of comparison one :class:`Suggester` may spend in all
SUGGEST_BUDGET = 1_000_000

_CUTOFF = 0.6
_COUNT = 2


def _ratio(matches: int, length: int) -> float:
    # difflib's own formula, so that the pruning by length below is exactly its own
    return 2.0 * matches / length if length else 1.0


class Suggester:
    """'Did you mean' over one set of known names, for any number of unknown names.

    The known names are read, grouped by length, at the first suggestion asked for;
    a name is only compared with the known names whose length allows a close match.

    >>> s = Suggester(["romance", "business", "romance"])
    >>> s.hint("romace"), s.hint("zzz"), s.hint("r" * 65)
    (" (did you mean 'romance'?)", '', '')
    >>> s.spent  # characters compared: romace with romance and business, zzz with romance
    37
    """

    __slots__ = ("_by_length", "_known", "_memo", "budget", "spent")

    def __init__(self, known: Iterable[str], *, budget: int | None = None) -> None:
        self._known: Iterable[str] | None = known
        self._by_length: dict[int, list[str]] = {}
        self._memo: dict[str, str] = {}
        self.budget = SUGGEST_BUDGET if budget is None else budget
        #: characters compared so far (each comparison counts both names' lengths)
        self.spent = 0

    def hint(self, name: str) -> str:
        """A suffix for an error message naming the closest known names, or ``""``."""
        memo = self._memo.get(name)
        if memo is not None:
            return memo
        if len(name) > SUGGEST_MAX_LENGTH:
            return ""
        if self._known is not None:
            for known in set(self._known):
                self._by_length.setdefault(len(known), []).append(known)
            self._known = None
        size = len(name)
        groups = [self._by_length[n] for n in near_lengths(size, self._by_length)]
        cost = sum(len(group) * (size + len(group[0])) for group in groups)
        if self.spent + cost > self.budget:
            return ""  # not memoised: a shorter name may still be affordable later
        self.spent += cost
        hint = hint_text(scored(name, (known for group in groups for known in group)))
        self._memo[name] = hint
        return hint


def near_lengths(size: int, lengths: Iterable[int]) -> list[int]:
    """The lengths of the known names close enough to a name of ``size`` characters to
    match it (the others are not compared)."""
    return [n for n in lengths if _ratio(min(size, n), size + n) >= _CUTOFF]


def scored(name: str, known: Iterable[str]) -> list[tuple[float, str]]:
    """The known names close to ``name``, each with its similarity: the candidates of
    :func:`hint_text`, which takes the best of any union of them (a set of known names
    split over processes gives the hint of the whole)."""
    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(name)
    out = []
    for k in known:
        matcher.set_seq1(k)
        if matcher.quick_ratio() >= _CUTOFF and (score := matcher.ratio()) >= _CUTOFF:
            out.append((score, k))
    return out


def hint_text(candidates: Iterable[tuple[float, str]]) -> str:
    """The suffix naming the closest of ``candidates`` (from :func:`scored`), or ``""``."""
    close = [known for _, known in heapq.nlargest(_COUNT, candidates)]
    return " (did you mean " + " or ".join(repr(c) for c in close) + "?)" if close else ""


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """A suffix for an error message naming the closest known names, or ``""``.

    For one name; a reader that suggests for many names against one set of known names
    keeps one :class:`Suggester`, which bounds the cost of them all.

    >>> did_you_mean("romace", ["romance", "business"])
    " (did you mean 'romance'?)"
    >>> did_you_mean("zzz", ["romance"])
    ''
    """
    return Suggester(known).hint(name)
