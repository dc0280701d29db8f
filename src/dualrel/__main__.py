"""``python -m dualrel``: the same as the ``dualrel`` command."""

from dualrel.cli import run

run()
