"""What reaches durable-rules in a check: facts per kind and the time its C core takes.

    python benchmarks/engine_facts.py benchmarks/data/n100000-s1-practice/csv -r coaching-practice

Runs ``dualrel check`` in this process (the same arguments, ``--as-of 2026-11-26`` unless
given; the report goes to a temporary file) while counting every fact asserted into the
engine, by its kind (``coaching``, ``@contacts``, ...; ``?`` for the release
facts), and timing each assert, actions it starts included.  Prints one JSON object:
facts and seconds per kind, and the totals.  The README's practice timings quote it.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from dualrel.cli import main as dualrel
from dualrel.rules import _durable


def main() -> None:
    args = sys.argv[1:]
    if not args or args[0] in ("-h", "--help"):
        raise SystemExit(__doc__)
    if "--as-of" not in args:
        args += ["--as-of", "2026-11-26"]
    counts: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    assert_text = _durable._Session._assert

    def counted(session: _durable._Session, text: str) -> None:
        at = text.find('"k":"')
        kind = text[at + 5 : text.index('"', at + 5)] if at >= 0 else "?"
        start = time.perf_counter()
        assert_text(session, text)
        entry = counts[kind]
        entry[0] += 1
        entry[1] += time.perf_counter() - start

    _durable._Session._assert = counted  # type: ignore[method-assign]
    with tempfile.TemporaryDirectory() as tmp:
        code = dualrel(["check", *args, "--format", "json", "-o", str(Path(tmp) / "r.json")])
        if code not in (0, 1):
            raise SystemExit(f"dualrel check failed: exit {code}")
    kinds = {
        k: {"facts": int(n), "seconds": round(s, 3), "us_per_fact": round(s / n * 1e6, 1)}
        for k, (n, s) in sorted(counts.items(), key=lambda kv: -kv[1][1])
    }
    total = sum(int(n) for n, _ in counts.values())
    seconds = sum(s for _, s in counts.values())
    print(json.dumps({"facts": total, "seconds": round(seconds, 3), "kinds": kinds}, indent=1))


if __name__ == "__main__":
    main()
