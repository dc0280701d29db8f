"""Pseudonyms for people in the reports that get shared.

A person id becomes ``p-`` and the first 12 hex digits of HMAC-SHA256(key, id).  With the
same key (``DUALREL_PSEUDONYM_KEY``) the same person gets the same alias in every report;
without it a random key is drawn for the run, so aliases cannot be linked across reports.

>>> p = Pseudonymizer(b"secret", source="env")
>>> p.alias("co001") == p.alias("co001"), p.alias("co001").startswith("p-")
(True, True)
>>> Pseudonymizer.reveal().alias("co001")
'co001'
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

__all__ = ["KEY_ENV", "Pseudonymizer"]

#: Environment variable holding the pseudonym key (any non-empty text).
KEY_ENV = "DUALREL_PSEUDONYM_KEY"

KeySource = Literal["env", "random", "none"]


@dataclass(frozen=True, slots=True)
class Pseudonymizer:
    """Maps person ids to keyed aliases; ``source`` says where the key came from."""

    key: bytes
    source: KeySource

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Pseudonymizer:
        """Key from ``DUALREL_PSEUDONYM_KEY`` when set and non-empty, else a random key."""
        env = os.environ if environ is None else environ
        key = env.get(KEY_ENV, "")
        if key:
            return cls(key.encode("utf-8"), "env")
        return cls(secrets.token_bytes(32), "random")

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
