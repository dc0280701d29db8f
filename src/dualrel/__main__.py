"""``python -m dualrel``: the same as the ``dualrel`` command."""

from dualrel.cli import main

raise SystemExit(main())
