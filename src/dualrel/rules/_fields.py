"""The names of the fields of the engine's facts: the one place they are spelled (private).

The engine makes facts (:mod:`dualrel.rules._facts`) and the compiler writes the
conditions that read them; both take the names from here.  This module imports nothing,
so either side can import it.

A tie ``a -> b`` is the fact ``"s": a, "d": b, "f": 1`` (person numbers) and, when a clause
reads its kind in either direction, also ``"s": b, "d": a, "f": 0``; with ``"k"`` its kind,
``"st"``/``"en"`` its start and end as days from the evaluation date, ``"tn"`` its number
(when a record names ties), ``ks<i>`` flags for the kind sets it is in, ``a<i>``
attribute tokens and ``av<j>`` flags for the attribute value sets they are in, ``an<j>``
flags for the numeric attribute tests they pass, and
``rs<i>``/``rd<i>`` flags for the role sets its source and target are in.

A practice record of ``section`` has the kind ``@<section>``; its other fields are named
by the functions below (:func:`person_field` ... :func:`value_set_field`,
:data:`HOURS_FROM` ...).  A record's fact carries only the fields some condition reads;
its person and tie numbers and role flags (:data:`LATE_PREFIXES`) are added when it is
asserted, as they are not known while records are indexed.

>>> given_field("signed"), time_field("signed"), word_field("covers", "escalation")
('e_signed', 't_signed', 'l_covers_escalation')
>>> role_field(SOURCE, 2), person_role_field(0, "coach"), kind_set_field(1)
('rs2', 'q0_coach', 'ks1')
"""

from __future__ import annotations

__all__ = [
    "END",
    "FLAG_PREFIXES",
    "FORWARD",
    "HOURS",
    "HOURS_FROM",
    "HOURS_TO",
    "HOURS_WRAP",
    "KIND",
    "LATE_PREFIXES",
    "NUMBER_PREFIXES",
    "SOURCE",
    "START",
    "TARGET",
    "TEXT_PREFIXES",
    "TIE_NUMBER",
    "TIE_PLACE",
    "attribute_field",
    "attribute_set_field",
    "count_field",
    "date_attribute_field",
    "date_known_field",
    "given_field",
    "kind_set_field",
    "minute_field",
    "number_field",
    "numeric_test_field",
    "pair_field",
    "person_field",
    "person_of_field",
    "person_role_field",
    "record_field",
    "record_kind",
    "role_field",
    "slot_field",
    "time_field",
    "value_field",
    "value_set_field",
    "weekday_field",
    "word_field",
    "word_prefix",
]

#: Every fact: a tie's kind, or a record's :func:`record_kind`.
KIND = "k"
#: A tie fact: the person numbers at the two ends, as the fact is oriented.
SOURCE = "s"
TARGET = "d"
#: A tie fact: 1 when oriented as the tie points, 0 when read backwards.
FORWARD = "f"
#: A tie fact: its start and end (days from the evaluation date).
START = "st"
END = "en"
#: A tie fact's number, and a record's: the number of the tie it names.
TIE_NUMBER = "tn"
#: An agreement's hours: minutes of the day from and to, and 0 (within one day), 1 (past
#: midnight) or 2 (no hours agreed).
HOURS_FROM = "hf"
HOURS_TO = "ht"
HOURS_WRAP = "hw"
HOURS = frozenset({HOURS_FROM, HOURS_TO, HOURS_WRAP})

_GIVEN = "e_"
_TIME = "t_"
_NUMBER = "n_"
_VALUE = "v_"
_WORD = "l_"
_COUNT = "c_"
_WEEKDAY = "wd_"
_MINUTE = "mn_"
_PERSON = "p_"
_PERSON_ROLE = "q"
_VALUE_SET = "vs"

#: Record fields that hold a number whenever present.
NUMBER_PREFIXES = (_TIME, _NUMBER, _COUNT, _WEEKDAY, _MINUTE)
#: Record fields that hold text (as :data:`KIND` does).
TEXT_PREFIXES = (_VALUE,)
#: Record fields that are flags (1 when present): a given field, a list's word, a value
#: among a set.
FLAG_PREFIXES = (_GIVEN, _WORD, _VALUE_SET)
#: Record fields added when the record is asserted, not known while records are indexed:
#: person numbers, role flags and the tie number.
LATE_PREFIXES = (_PERSON, _PERSON_ROLE, TIE_NUMBER)


def record_kind(section: str) -> str:
    """The :data:`KIND` of a record of ``section``."""
    return f"@{section}"


def kind_set_field(i: int) -> str:
    """A tie fact's flag: its kind is in the schema's ``kind_sets[i]``."""
    return f"ks{i}"


def attribute_field(i: int) -> str:
    """A tie fact's token for the value of the schema's ``attributes[i]``."""
    return f"a{i}"


def date_attribute_field(i: int) -> str:
    """A tie fact's date attribute ``date_attributes[i]``, in days from the evaluation
    date (a stand-in when it holds no date: see :func:`date_known_field`)."""
    return f"ad{i}"


def date_known_field(i: int) -> str:
    """A tie fact's flag: its attribute ``date_attributes[i]`` holds a date."""
    return f"ak{i}"


def attribute_set_field(j: int) -> str:
    """A tie fact's flag: its attribute's token is in the schema's ``value_sets[j]``."""
    return f"av{j}"


def numeric_test_field(j: int) -> str:
    """A tie fact's flag: its attribute passes the schema's ``numeric_tests[j]``."""
    return f"an{j}"


#: Where a compared field is on a tie fact: a person at the source or target end, or the
#: tie itself (:func:`slot_field`).
TIE_PLACE = "t"


def slot_field(what: str, place: str, k: int) -> str:
    """A tie fact's copy of the schema's ``slots[k]`` at ``place`` (:data:`SOURCE`,
    :data:`TARGET` or :data:`TIE_PLACE`): ``what`` is ``x`` (the value's text), ``n`` (its
    number, 0 when none) or ``g`` (0: missing, 1: a value, 2: a value that reads as a
    number).  Always present on every fact of the kinds such a clause reads."""
    return f"{what}{place}{k}"


def pair_field(j: int) -> str:
    """A tie fact's flag: the schema's ``pairs[j]`` holds of two fields of this one fact."""
    return f"pq{j}"


def role_field(end: str, i: int) -> str:
    """A tie fact's flag: the person at ``end`` (:data:`SOURCE` or :data:`TARGET`) has a
    role of the schema's ``role_sets[i]``."""
    return f"r{end}{i}"


def person_field(field: str) -> str:
    """A record's person field, as a person number (-1: nobody, or nobody indexed)."""
    return _PERSON + field


def person_of_field(name: str) -> str:
    """The record field a :func:`person_field` ``name`` holds.

    >>> person_of_field(person_field("client"))
    'client'
    """
    return name[len(_PERSON) :]


def person_role_field(i: int, field: str) -> str:
    """A record's flag: the person of ``field`` has a role of ``role_sets[i]``."""
    return f"{_PERSON_ROLE}{i}_{field}"


def given_field(field: str) -> str:
    """A record's flag: ``field`` is given."""
    return _GIVEN + field


def time_field(field: str) -> str:
    """A record's date or instant, in days from the evaluation date."""
    return _TIME + field


def number_field(field: str) -> str:
    """A record's number (0 when missing: see :func:`given_field`)."""
    return _NUMBER + field


def value_field(field: str) -> str:
    """A record's value, as text (unique per record when missing: equal to nothing)."""
    return _VALUE + field


def word_prefix(field: str) -> str:
    """What the flags of a list field's words start with."""
    return f"{_WORD}{field}_"


def word_field(field: str, word: str) -> str:
    """A record's flag: the list ``field`` holds ``word``."""
    return word_prefix(field) + word


def count_field(field: str) -> str:
    """How many words a record's list ``field`` holds."""
    return _COUNT + field


def weekday_field(field: str) -> str:
    """An instant's local weekday (0: Monday; -1 when missing)."""
    return _WEEKDAY + field


def minute_field(field: str) -> str:
    """An instant's local minute of the day (-1 when missing)."""
    return _MINUTE + field


def value_set_field(j: int) -> str:
    """A record's flag: its value is in the schema's ``record_value_sets[j]``."""
    return f"{_VALUE_SET}{j}"


def record_field(kind: str, field: str) -> str:
    """The fact field a condition compares for a record field of ``kind`` (``time``,
    ``number`` or ``value``)."""
    return {"time": _TIME, "number": _NUMBER, "value": _VALUE}[kind] + field
