"""The one thing pyproject.toml cannot say: the C extensions: the engine's ``dualrel._rete``,
``dualrel._findtext`` (the findings' fingerprints, sort texts and report text in bulk,
``csrc/findtext``, portable C99 of our own), ``dualrel.graph._jscan`` (a JSON
document's arrays as JSON Lines, ``csrc/jscan``) and ``dualrel.scale._members`` (the
semi-join pass's lookups in sorted masks on Dask, ``csrc/members``).

``_rete``'s sources are durable-rules 2.0.28's Rete core and Python binding, kept and patched in
``csrc/durable`` (see ``docs/engine.md``).  C99 with GNU extensions, as upstream builds them;
an implicit function declaration is an error on every compiler version, not only GCC 14.
With the interpreter's own ``-Wall`` the build is warning-free on GCC 12 for Python 3.11 to
3.13 (``docs/engine.md``, "Building", lists what ``-Wall`` found and what ``-Wextra`` adds).
"""

import sys

from setuptools import Extension, setup

_CORE = ["json", "rete", "state", "events", "regex"]

if sys.platform == "win32":
    _FLAGS: list[str] = []
else:
    _FLAGS = ["-std=c99", "-D_GNU_SOURCE", "-Werror=implicit-function-declaration"]

setup(
    ext_modules=[
        Extension(
            "dualrel._rete",
            sources=[f"csrc/durable/rules/{name}.c" for name in _CORE]
            + ["csrc/durable/rulespy/rules.c"],
            include_dirs=["csrc/durable/rules"],
            extra_compile_args=_FLAGS,
        ),
        Extension(
            "dualrel._findtext",
            sources=[
                f"csrc/findtext/{name}.c"
                for name in ("findtext", "keys", "report", "columns", "sha256")
            ],
            include_dirs=["csrc/findtext"],
            extra_compile_args=_FLAGS,
        ),
        Extension("dualrel.graph._jscan", sources=["csrc/jscan/jscan.c"], extra_compile_args=_FLAGS),
        Extension(
            "dualrel.scale._members", sources=["csrc/members/members.c"], extra_compile_args=_FLAGS
        ),
    ]
)
