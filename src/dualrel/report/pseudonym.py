"""Pseudonyms for people in the reports that get shared.

A person id becomes ``p-`` and the first 12 hex digits of HMAC-SHA256(key, id).  With the
same key (``DUALREL_PSEUDONYM_KEY``) the same person gets the same alias in every report;
without it a random key is drawn for the run, so aliases cannot be linked across reports.
A key must be at least :data:`MIN_KEY_BYTES` long: anyone holding a report and guessing
the practice's id scheme could otherwise try every short key.

A tie without an ``id`` gets one derived from its content (``t-`` and 16 hex digits, see
:func:`dualrel.graph.derive_tie_id`), an unkeyed hash of its kind, people and dates that
anyone knowing the id scheme can recompute; shared reports show such ids as keyed
aliases too (``tie-`` and 12 hex digits).

A committee that must act on a shared report can be given the way back as a separate
file, :func:`write_pseudonym_map` (``dualrel check --pseudonym-map FILE``): alias to id for
every person the report names, readable by its owner only.  It needs a key the practice
keeps (``DUALREL_PSEUDONYM_KEY``): a map made with a random key would fit that one report
only, and reports made later could never be read with it.

>>> p = Pseudonymizer(b"a pseudonym key of at least 32 bytes", source="env")
>>> p.alias("co001") == p.alias("co001"), p.alias("co001").startswith("p-")
(True, True)
>>> p.tie_alias("t-0123456789abcdef").startswith("tie-"), p.tie_alias("t7")
(True, 't7')
>>> Pseudonymizer.reveal().alias("co001")
'co001'
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from dualrel._internal.atomic import write_atomic
from dualrel.errors import InvalidArgument
from dualrel.findings import CheckResult

__all__ = [
    "KEY_ENV",
    "MAP_FORMAT",
    "MIN_KEY_BYTES",
    "Pseudonymizer",
    "is_derived_tie_id",
    "pseudonym_map",
    "write_pseudonym_map",
]

#: Environment variable holding the pseudonym key (text of at least MIN_KEY_BYTES bytes).
KEY_ENV = "DUALREL_PSEUDONYM_KEY"

#: The shortest key accepted, in bytes (UTF-8): as long as the random key drawn per run.
MIN_KEY_BYTES = 32

# the shape of derive_tie_id's ids; an id written in this shape (a dumped registry writes
# the derived ids out) is as guessable, so the shape decides, not where the id came from
_DERIVED_TIE_ID = re.compile(r"t-[0-9a-f]{16}")


def is_derived_tie_id(tie_id: str) -> bool:
    """Whether ``tie_id`` has the shape of an id derived from a tie's content.

    >>> is_derived_tie_id("t-0123456789abcdef"), is_derived_tie_id("t1")
    (True, False)
    """
    return _DERIVED_TIE_ID.fullmatch(tie_id) is not None


#: The ``format`` of a pseudonym map file.
MAP_FORMAT = "dualrel.pseudonyms/1"

KeySource = Literal["env", "random", "none"]


@dataclass(frozen=True, slots=True)
class Pseudonymizer:
    """Maps person ids to keyed aliases; ``source`` says where the key came from."""

    key: bytes
    source: KeySource

    def __post_init__(self) -> None:
        if self.source != "none" and len(self.key) < MIN_KEY_BYTES:
            where = KEY_ENV if self.source == "env" else "the pseudonym key"
            raise InvalidArgument(
                f"{where} is {len(self.key)} byte(s) long; a pseudonym key must be at least "
                f"{MIN_KEY_BYTES} bytes, or aliases can be reversed by trying every short key "
                "(make one with: python -c 'import secrets; print(secrets.token_hex(32))')"
            )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Pseudonymizer:
        """Key from ``DUALREL_PSEUDONYM_KEY`` when set and non-empty, else a random key.

        Raises
        ------
        InvalidArgument
            When the key is shorter than :data:`MIN_KEY_BYTES` bytes.
        """
        env = os.environ if environ is None else environ
        key = env.get(KEY_ENV, "")
        if key:
            return cls(key.encode("utf-8"), "env")
        return cls(secrets.token_bytes(MIN_KEY_BYTES), "random")

    @classmethod
    def reveal(cls) -> Pseudonymizer:
        """No pseudonyms: ids are shown as they are (``--reveal``)."""
        return cls(b"", "none")

    @property
    def active(self) -> bool:
        return self.source != "none"

    def alias(self, person_id: str) -> str:
        if not self.active:
            return person_id
        digest = hmac.new(self.key, person_id.encode("utf-8"), hashlib.sha256).hexdigest()
        return "p-" + digest[:12]

    def tie_alias(self, tie_id: str) -> str:
        """A keyed alias for a derived tie id; other tie ids (chosen by people) as they are."""
        if not self.active or not is_derived_tie_id(tie_id):
            return tie_id
        # the "tie" prefix keeps a tie's alias apart from a person's of the same text
        message = b"tie\0" + tie_id.encode("utf-8")
        return "tie-" + hmac.new(self.key, message, hashlib.sha256).hexdigest()[:12]

    def note(self) -> str:
        """One sentence for the report saying how people are shown."""
        if self.source == "env":
            return (
                f"People are shown as pseudonyms (HMAC-SHA256 keyed by {KEY_ENV}): the same "
                "person has the same alias in every report made with the same key."
            )
        if self.source == "random":
            return (
                "People are shown as pseudonyms (HMAC-SHA256 with a random key for this run, "
                f"{KEY_ENV} not set): aliases cannot be linked to other reports."
            )
        return "People are shown with their registry ids (--reveal)."


def pseudonym_map(result: CheckResult, pseudonymizer: Pseudonymizer) -> dict[str, str]:
    """Alias to person id for every person ``result``'s reports name (subjects, the ends of
    evidence ties, assignees, the subjects of resolved findings), sorted by alias."""
    ids: set[str] = set()
    for f in result.findings:
        ids.update(f.finding.subjects.values())
        ids.update(p for t in f.ties for p in (t.source, t.target))
        ids.update(s.assignee for s in f.finding.remediation if s.assignee is not None)
    for r in result.resolved:
        ids.update(r.subjects.values())
    return dict(sorted((pseudonymizer.alias(pid), pid) for pid in ids))


def write_pseudonym_map(
    path: str | os.PathLike[str], result: CheckResult, pseudonymizer: Pseudonymizer
) -> int:
    """Write :func:`pseudonym_map` to ``path`` as JSON, atomically and owner-only (0600);
    returns how many people it maps.  Refused unless the key is the practice's own
    (``source == "env"``): see the module's docstring."""
    if pseudonymizer.source != "env":
        raise InvalidArgument(
            f"a pseudonym map needs the practice's key in {KEY_ENV}: "
            + (
                "ids are shown as they are (--reveal), there is nothing to map"
                if pseudonymizer.source == "none"
                else "with a random key per run the map would fit this one report only"
            )
        )
    mapping = pseudonym_map(result, pseudonymizer)
    doc = {
        "format": MAP_FORMAT,
        "registry": {"path": result.registry.path, "sha256": result.registry.sha256},
        "as_of": result.as_of.isoformat(),
        "pseudonyms": mapping,
    }
    write_atomic(path, json.dumps(doc, indent=1, ensure_ascii=False) + "\n", private=True)
    return len(mapping)
