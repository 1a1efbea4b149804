"""One headless chromium, driven over the DevTools protocol on a pipe, for every page a test module loads.

Each chromium start costs ~0.6 s of CPU and ~1.2 s of wall time before the page is even read, so the tests
start one browser and load every page in one tab of it: a page is loaded with the tab's viewport at a given
size (as `--window-size` sizes a page), its script's result is read with Runtime.evaluate, and a screenshot
is Page.captureScreenshot: the golden screenshots taken this way are byte-identical to those of
`chromium --screenshot --window-size=W,H`.
"""

from __future__ import annotations

import base64
import json
import os
import select
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars")


class BrowserError(AssertionError):
    """The browser failed, timed out, or a page's script threw: the test fails with what it said."""


class Headless:
    """A running headless chromium with one tab; close() ends it."""

    def __init__(self, binary: str, timeout: float = 120.0) -> None:
        self.timeout = timeout
        self.home = tempfile.TemporaryDirectory()  # the browser's profile and its log
        self.log = Path(self.home.name) / "chromium.log"
        # --remote-debugging-pipe reads commands on fd 3 and writes replies on fd 4; the shell moves the
        # pipes subprocess makes as stdin and stdout there (subprocess cannot choose child fd numbers).
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                ["sh", "-c", 'exec "$0" "$@" 3<&0 4>&1 </dev/null >/dev/null', binary, *FLAGS,
                 f"--user-data-dir={Path(self.home.name) / 'profile'}", "--remote-debugging-pipe"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log)
        assert self.process.stdin is not None and self.process.stdout is not None
        self.commands, self.replies = self.process.stdin.fileno(), self.process.stdout.fileno()
        self.pending = b""
        self.events: list[dict[str, Any]] = []
        self.last_id = 0
        try:
            target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
            self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            self.call("Page.enable", session=self.session)
        except BrowserError:
            self._end(kill=True)
            raise

    def _failed(self, what: str) -> BrowserError:
        said = self.log.read_text(encoding="utf-8", errors="replace")[-1500:]
        return BrowserError(f"{what}; chromium's last messages:\n{said}")

    def _message(self, deadline: float) -> dict[str, Any]:
        """The next message the browser sends (each ends with a NUL byte)."""
        while b"\0" not in self.pending:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.replies], [], [], left)[0]:
                raise self._failed(f"chromium did not answer within {self.timeout} s")
            chunk = os.read(self.replies, 1 << 20)
            if not chunk:
                raise self._failed("chromium closed the DevTools pipe (it crashed or could not start)")
            self.pending += chunk
        message, self.pending = self.pending.split(b"\0", 1)
        return dict(json.loads(message))

    def call(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> Any:
        """Send one DevTools command and return its result; events that arrive meanwhile are kept."""
        self.last_id += 1
        command: dict[str, Any] = {"id": self.last_id, "method": method, "params": params or {}}
        if session:
            command["sessionId"] = session
        data = json.dumps(command).encode() + b"\0"
        try:
            while data:
                data = data[os.write(self.commands, data):]
        except BrokenPipeError:
            raise self._failed("chromium closed the DevTools pipe (it crashed or could not start)") from None
        deadline = time.monotonic() + self.timeout
        while True:
            message = self._message(deadline)
            if message.get("id") == self.last_id:
                if "error" in message:
                    raise BrowserError(f"{method}: {message['error']}")
                return message["result"]
            self.events.append(message)

    def _wait_for(self, event: str) -> None:
        deadline = time.monotonic() + self.timeout
        while True:
            if any(e.get("method") == event and e.get("sessionId") == self.session for e in self.events):
                self.events.clear()
                return
            self.events.append(self._message(deadline))

    def open(self, page: Path, size: tuple[int, int]) -> None:
        """Load a page file with the viewport `size` (width, height) CSS pixels, as a window of that size."""
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": False}, self.session)
        self.events.clear()  # before navigating: the load event may arrive before the command's reply
        navigated = self.call("Page.navigate", {"url": page.as_uri()}, self.session)
        if "errorText" in navigated:
            raise BrowserError(f"{page}: {navigated['errorText']}")
        self._wait_for("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        """The value of a script expression in the page (a promise is awaited), as JSON data."""
        reply = self.call("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                               "returnByValue": True}, self.session)
        if "exceptionDetails" in reply:
            details = reply["exceptionDetails"]
            raise BrowserError(details.get("exception", {}).get("description") or details.get("text"))
        return reply["result"].get("value")

    def screenshot(self) -> bytes:
        """A PNG of the viewport."""
        return base64.b64decode(self.call("Page.captureScreenshot", {"format": "png"}, self.session)["data"])

    def close(self) -> None:
        """End the browser (killed if it does not quit) and remove its profile and log."""
        try:
            self.call("Browser.close")
        except BrowserError:
            pass
        self._end(kill=False)

    def _end(self, kill: bool) -> None:
        if kill:
            self.process.kill()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()
        self.home.cleanup()
