"""Headless Chromium (Debian's) driven through the DevTools protocol over a pipe.

``--remote-debugging-pipe`` makes Chromium read commands from its file descriptor 3 and
write replies and events to 4, as JSON messages ended by a NUL byte: no port, no
websocket, no client library.  Clicks and typing go through ``Input.*``, the browser's
own input pipeline, as a person's would.  Without Chromium the tests skip locally and
fail in CI (``CI=true``).
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--remote-debugging-pipe",
)


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI") == "true":
        pytest.fail("chromium is not installed (CI must install it: see .ci/run)")
    pytest.skip("chromium is not installed")


class Page:
    """One tab: navigate, evaluate JavaScript, click and type as a user does."""

    def __init__(self, proc: subprocess.Popen[bytes], write: int, read: int) -> None:
        self._proc, self._write, self._read = proc, write, read
        self._buffer = b""
        self._id = 0
        self.session = ""
        self.console: list[str] = []
        #: every URL the tab asked for since it was opened
        self.requests: list[str] = []

    def _send(self, method: str, params: dict[str, Any] | None = None, session: bool = True) -> Any:
        self._id += 1
        message: dict[str, Any] = {"id": self._id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._next()
            if reply.get("sessionId", self.session) != self.session:
                continue  # an event of a page opened before
            if reply.get("method") == "Runtime.exceptionThrown":
                self.console.append(json.dumps(reply["params"]["exceptionDetails"])[:2000])
            elif reply.get("method") == "Log.entryAdded":  # CSP violations among them
                self.console.append(reply["params"]["entry"].get("text", "")[:2000])
            elif reply.get("method") == "Network.requestWillBeSent":
                self.requests.append(reply["params"]["request"]["url"])
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def _next(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            chunk = os.read(self._read, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        return message

    def open(self, url: str, *, wait: bool = True) -> None:
        """Load ``url`` in the tab (and wait until it is loaded unless ``wait`` is false)."""
        targets = self._send("Target.getTargets", session=False)["targetInfos"]
        target = next(t["targetId"] for t in targets if t["type"] == "page")
        self.session = self._send(
            "Target.attachToTarget", {"targetId": target, "flatten": True}, session=False
        )["sessionId"]
        self._send("Runtime.enable")
        self._send("Log.enable")
        self._send("Network.enable")
        self.console.clear()
        self.requests.clear()
        self._send(
            "Emulation.setDeviceMetricsOverride",
            {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False},
        )
        self._send("Page.navigate", {"url": url})
        if wait:
            self.wait_for("document.readyState === 'complete'")

    def eval(self, expression: str) -> Any:
        reply = self._send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in reply:
            raise RuntimeError(f"{expression}: {reply['exceptionDetails']}")
        return reply["result"].get("value")

    def wait_for(self, condition: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.eval(f"Boolean({condition})"):
            if time.monotonic() > deadline:
                raise TimeoutError(condition)
            time.sleep(0.05)

    def click(self, selector: str) -> None:
        """Scroll ``selector`` into view and click its centre with the mouse."""
        box = self.eval(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
            " return [r.left + r.width / 2, r.top + r.height / 2]; })()"
        )
        x, y = box
        for kind in ("mousePressed", "mouseReleased"):
            self._send(
                "Input.dispatchMouseEvent",
                {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1},
            )

    def press(self, key: str, code: int) -> None:
        """Press and release ``key`` (``ArrowDown``, Windows key ``code`` 40) where the
        focus is."""
        for kind in ("rawKeyDown", "keyUp"):
            self._send(
                "Input.dispatchKeyEvent",
                {"type": kind, "key": key, "code": key, "windowsVirtualKeyCode": code},
            )

    def type(self, selector: str, text: str) -> None:
        """Focus ``selector`` by clicking it and type ``text`` at the end of its text."""
        self.click(selector)
        self.press("End", 35)
        self._send("Input.insertText", {"text": text})

    def media(self, media: str) -> None:
        """Show the page as on ``print`` or ``screen`` media (``""``: as it is)."""
        self._send("Emulation.setEmulatedMedia", {"media": media})

    def pdf(self) -> bytes:
        """Print the page (as to a PDF), which fires its ``beforeprint`` and ``afterprint``."""
        return base64.b64decode(self._send("Page.printToPDF")["data"])

    def screenshot(self, path: Path) -> None:
        shot = self._send(
            "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}
        )
        path.write_bytes(base64.b64decode(shot["data"]))


@contextmanager
def browser(profile: Path) -> Iterator[Page]:
    """A headless Chromium with one tab, closed at the end."""
    to_child, from_parent = os.pipe()  # parent writes, Chromium reads (its fd 3)
    from_child, to_parent = os.pipe()  # Chromium writes (its fd 4), parent reads

    def plumb() -> None:
        # moved above 4 first: a pipe may itself be fd 3 or 4, and dup2 onto itself would
        # keep it close-on-exec
        read, write = (fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_child, to_parent))
        os.dup2(read, 3)
        os.dup2(write, 4)

    proc = subprocess.Popen(
        [chromium(), *_ARGS, f"--user-data-dir={profile}", "about:blank"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        # the pipes must be the child's fds 3 and 4; Python's own fds are not inheritable
        preexec_fn=plumb,  # noqa: PLW1509
        close_fds=False,
    )
    os.close(to_child)
    os.close(to_parent)
    page = Page(proc, from_parent, from_child)
    try:
        yield page
    finally:
        try:
            page._send("Browser.close", session=False)
            proc.wait(timeout=20)
        except Exception:
            proc.kill()
            proc.wait()
        os.close(from_parent)
        os.close(from_child)
