"""The register's libraries load only when a register is used: ``import dualrel``, the
command line and ``dualrel.register``'s data classes never import them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

LIBRARIES = ("sqlalchemy", "alembic", "jinja2", "psycopg")


def _loaded_after(statement: str) -> dict[str, bool]:
    report = f"print(json.dumps({{m: m in sys.modules for m in {LIBRARIES!r}}}))"
    proc = subprocess.run(
        [sys.executable, "-c", f"{statement}\nimport json, sys\n{report}"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    loaded: dict[str, bool] = json.loads(proc.stdout.splitlines()[-1])
    return loaded


def test_the_command_line_and_the_data_classes_load_none_of_them() -> None:
    statement = "import dualrel, dualrel.cli, dualrel.register; dualrel.cli.build_parser()"
    assert _loaded_after(statement) == dict.fromkeys(LIBRARIES, False)


def test_opening_a_sqlite_register_loads_sqlalchemy_and_alembic_only(tmp_path) -> None:
    path = tmp_path / "r.sqlite"
    loaded = _loaded_after(f"import dualrel.register as r; r.open_register({str(path)!r}).close()")
    assert loaded == {"sqlalchemy": True, "alembic": True, "jinja2": False, "psycopg": False}
