# A JSON document's arrays as JSON Lines (csrc/jscan/jscan.c): what graph._json_columns calls.

def records(
    block: bytes, line: int, state: int, base: int, fields: tuple[bytes, ...], /
) -> tuple[bytes, bytes, bytes, int, int, int, bytes, set[bytes], int, int]: ...
def lines(
    block: bytes | memoryview, fields: tuple[bytes, ...], base: int, /
) -> tuple[int, bytes, set[bytes], int, bytes]: ...
