"""The documentation site (mkdocs.yml): it builds in strict mode, offline, with every page.

``mkdocs build --strict`` fails on a broken link or anchor, a page left out of the nav, a
reference the API pages cannot resolve and any other warning; the build reaches no network
and the pages it writes load nothing from elsewhere (no web fonts, no analytics). Without
the docs tools (``pip install -e '.[test]'``) the build is skipped, except under
``CI=true``, where ``.ci/run`` installs them. The getting-started examples run as doctests.
"""

from __future__ import annotations

import doctest
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
HOOKS = DOCS / "_hooks"


def _needs(*modules: str) -> None:
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if not missing:
        return
    reason = f"{', '.join(missing)} not installed: pip install -e '.[test]'"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI installs the test extras: see .ci/run)")
    pytest.skip(reason)


def _nav_pages(nav: object) -> list[str]:
    if isinstance(nav, str):
        return [nav]
    if isinstance(nav, list):
        return [p for item in nav for p in _nav_pages(item)]
    if isinstance(nav, dict):
        return [p for value in nav.values() for p in _nav_pages(value)]
    raise AssertionError(f"unexpected nav entry {nav!r}")


def test_every_page_is_in_the_nav_once() -> None:
    # mkdocs would still build a page left out of the nav (strict mode catches it too,
    # but only where the docs tools are installed): this says which one, everywhere
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    in_nav = _nav_pages(config["nav"])
    assert len(in_nav) == len(set(in_nav)), "a page is in the nav twice"
    pages = {
        p.relative_to(DOCS).as_posix()
        for p in DOCS.rglob("*.md")
        if not p.relative_to(DOCS).parts[0].startswith("_")
    }
    assert {"registry-format.md", "rulesets.md", "errors.md", "api/index.md"} <= pages
    assert sorted(pages - set(in_nav)) == [], "pages missing from mkdocs.yml's nav"
    assert sorted(set(in_nav) - pages) == [], "nav entries without a page"


def test_the_site_builds_strictly_and_offline(tmp_path: Path) -> None:
    _needs("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python")
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    # not --quiet: mkdocs counts for --strict only the warnings it logs
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-5000:]
    assert "WARNING" not in output, output[-5000:]
    # every page of the nav was written, the existing guides among them
    assert (site / "rulesets" / "index.html").is_file()
    assert (site / "start" / "library" / "index.html").is_file()
    # the API reference comes from the docstrings: a signature, a docstring's sentence
    api = (site / "api" / "index.html").read_text(encoding="utf-8")
    assert "run_check" in api and "fail_level" in api
    assert "The path of the bundled example registry" in api
    # doctests are code blocks, not quoted prose, the package's own among them
    for page in (site / "api").rglob("*.html"):
        assert "<blockquote>" not in page.read_text(encoding="utf-8"), page
    assert '<span class="gp">&gt;&gt;&gt; </span>' in api  # a highlighted prompt
    # nothing is loaded from elsewhere when a page is viewed
    external = re.compile(r"""<(?:link|script|img)\b[^>]*\b(?:href|src)=["']?(?:https?:)?//""")
    for page in site.rglob("*.html"):
        found = external.findall(page.read_text(encoding="utf-8"))
        assert not found, f"{page.relative_to(site)} loads {found}"


def _pycon_blocks(page: Path) -> list[tuple[int, str]]:
    text = page.read_text(encoding="utf-8")
    return [
        (text.count("\n", 0, m.start()) + 2, m.group(1))
        for m in re.finditer(r"^```pycon\n(.*?)^```", text, re.S | re.M)
    ]


@pytest.mark.parametrize("page", sorted(p.name for p in (DOCS / "start").glob("*.md")))
def test_the_getting_started_examples_run(page: str) -> None:
    # the blocks of one page follow on from each other, as a reader would type them
    path = DOCS / "start" / page
    blocks = _pycon_blocks(path)
    if page == "library.md":
        assert len(blocks) == 4
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    globs: dict[str, object] = {}
    for line, block in blocks:
        test = parser.get_doctest(block, globs, f"{path.name}:{line}", str(path), line)
        runner.run(test, clear_globs=False)
        globs = test.globs
    assert runner.summarize(verbose=False).failed == 0


def _hooks() -> object:
    _needs("griffe")
    spec = importlib.util.spec_from_file_location("docs_hooks", HOOKS / "doctests.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_doctests_in_docstrings_become_code_blocks() -> None:
    hooks = _hooks()
    text = "Intro.\n>>> f(1)\n['t1', 't2']\n>>> g()\n\nAfter.\n\n    >>> h()\n    2"
    assert hooks.fence_doctests(text).splitlines() == [  # type: ignore[attr-defined]
        "Intro.",
        "",
        "```pycon",
        ">>> f(1)",
        "['t1', 't2']",
        ">>> g()",
        "```",
        "",
        "After.",
        "",
        "    ```pycon",
        "    >>> h()",
        "    2",
        "    ```",
    ]


def test_sphinx_roles_become_code_spans() -> None:
    hooks = _hooks()
    text = "See :meth:`add`, :class:`~dualrel.errors.RegistryError` and :mod:`dualrel.graph`."
    assert hooks.plain_roles(text) == (  # type: ignore[attr-defined]
        "See `add`, `RegistryError` and `dualrel.graph`."
    )
