# A JSON document's arrays as JSON Lines (csrc/jscan/jscan.c): what graph._json_columns calls.

def records(
    block: bytes, line: int, state: int, base: int, /
) -> tuple[bytes, bytes, bytes, int, int, int]: ...
