"""Read-only attribute dicts, which loaders share between records with equal attributes.

A registry of a million people holds a few distinct attribute sets (an agreement date, a
relation) over millions of ties: each distinct set is stored once.  Sharing is only safe
when nobody can change one record's attributes under another's, hence a dict that refuses
changes.  It is a ``dict``, so ``json``, NetworkX and pydantic take it as any dict.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn

__all__ = ["NO_ATTRIBUTES", "FrozenDict", "no_attributes"]


class FrozenDict(dict[str, Any]):
    """A dict that cannot be changed; copy it (``dict(d)``) to get one that can.

    >>> d = FrozenDict({"relation": "spouse"})
    >>> d["relation"], d == {"relation": "spouse"}
    ('spouse', True)
    >>> d["relation"] = "cousin"
    Traceback (most recent call last):
    ...
    TypeError: attributes are read-only (they may be shared): change a copy, dict(attributes)
    """

    __slots__ = ()

    def _refuse(self, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError(
            "attributes are read-only (they may be shared): change a copy, dict(attributes)"
        )

    __setitem__ = _refuse
    __delitem__ = _refuse
    __ior__ = _refuse
    clear = _refuse
    pop = _refuse
    popitem = _refuse
    setdefault = _refuse
    update = _refuse

    def __reduce__(self) -> tuple[type[FrozenDict], tuple[dict[str, Any]]]:
        # pickle's default for a dict subclass sets the items one by one: refused
        return FrozenDict, (dict(self),)


#: The attributes of every record that has none.
NO_ATTRIBUTES = FrozenDict()


def no_attributes() -> Mapping[str, Any]:
    """The shared empty attributes (a dataclass field's default factory)."""
    return NO_ATTRIBUTES
