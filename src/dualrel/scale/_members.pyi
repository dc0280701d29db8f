# Whether int64 values are in sorted int64 arrays (csrc/members/members.c): what
# scale._ranges calls.
from collections.abc import Sequence

from typing_extensions import Buffer

def members(haystacks: Sequence[Buffer], shift: int, needles: Buffer, /) -> bytes: ...
