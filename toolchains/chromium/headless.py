"""Drives the pinned headless Chromium over the DevTools protocol, through a pipe.

`--remote-debugging-pipe` makes the browser read protocol messages from its file
descriptor 3 and write replies to 4, each JSON message ended by a NUL byte: no port
is opened, so tests need no network, not even loopback.

    with Browser(chromium, profile_dir) as browser:
        page = browser.open("file:///.../report.html")
        rows = page.evaluate("document.querySelectorAll('tr').length")
        png = page.screenshot()
        assert not page.problems()
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import pathlib
import select
import subprocess
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

# Nothing the browser would fetch by itself (updates, metrics, safe browsing...);
# host names never resolve, so a page that reaches for the network fails visibly.
_QUIET_FLAGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-sync",
    "--no-default-browser-check",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND",
]

# The browser's ends of the protocol pipes, fixed by --remote-debugging-pipe.
_BROWSER_READS = 3
_BROWSER_WRITES = 4


class BrowserError(RuntimeError):
    """The browser failed, answered a command with an error, or timed out."""


class Browser:
    """One headless Chromium process, stopped on exit from the `with` block."""

    def __init__(
        self,
        chromium: pathlib.Path,
        profile_dir: pathlib.Path,
        window: tuple[int, int] = (1280, 900),
        timeout: float = 60.0,
    ) -> None:
        self._timeout = timeout
        self._next_id = 0
        self._buffer = b""
        self.events: list[dict[str, Any]] = []
        self.log = profile_dir / "chromium.log"
        profile_dir.mkdir(parents=True, exist_ok=True)
        to_browser, self._to_browser = os.pipe()
        self._from_browser, from_browser = os.pipe()
        # Above 4, so that the dup2 calls in the child never overwrite each other.
        child_reads = fcntl.fcntl(to_browser, fcntl.F_DUPFD_CLOEXEC, 10)
        child_writes = fcntl.fcntl(from_browser, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(to_browser)
        os.close(from_browser)
        argv = [
            str(chromium),
            "--headless",
            # Chromium's own sandbox needs user namespaces or a setuid helper, and
            # refuses to start as root (as CI runs): tests run inside Bazel's
            # sandbox instead. What it renders is only this build's own report
            # pages from file:// URLs, with every host name unresolvable
            # (_QUIET_FLAGS), so no untrusted content reaches the renderer.
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--remote-debugging-pipe",
            f"--user-data-dir={profile_dir}",
            f"--window-size={window[0]},{window[1]}",
            *_QUIET_FLAGS,
            "about:blank",
        ]
        with self.log.open("wb") as log:
            # preexec_fn is unsafe with threads; this process starts none. close_fds
            # would close 3 and 4 after it; Python's own descriptors are
            # close-on-exec anyway.
            self._process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_pipe_setup(child_reads, child_writes),
                close_fds=False,
                env={**os.environ, "HOME": str(profile_dir)},
            )
        os.close(child_reads)
        os.close(child_writes)

    def __enter__(self) -> Browser:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Asks the browser to quit; kills it if it does not within a few seconds."""
        if self._process.poll() is None:
            try:
                os.write(self._to_browser, json.dumps({"id": 0, "method": "Browser.close"}).encode() + b"\0")
                self._process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self._process.kill()
                self._process.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        """Sends one command and returns its result; events that arrive meanwhile are kept."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self._timeout
        while True:
            reply = self._receive(deadline, method)
            if reply.get("id") != self._next_id:
                self.events.append(reply)
                continue
            if "error" in reply:
                raise BrowserError(f"{method}: {reply['error'].get('message', reply['error'])}")
            result: dict[str, Any] = reply.get("result", {})
            return result

    def wait_for(self, session: str, method: str, since: int, match: Callable[[dict[str, Any]], bool]) -> None:
        """Waits for an event `method` of `session`, from self.events[since] on, whose params match."""
        deadline = time.monotonic() + self._timeout
        index = since
        while True:
            while index < len(self.events):
                event = self.events[index]
                index += 1
                if event.get("method") == method and event.get("sessionId") == session and match(event["params"]):
                    return
            self.events.append(self._receive(deadline, method))

    def open(self, url: str) -> Page:
        """Opens url in a new tab and waits until its load event has fired."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable", session=session)
        self.send("Page.setLifecycleEventsEnabled", {"enabled": True}, session)
        since = len(self.events)
        navigation = self.send("Page.navigate", {"url": url}, session)
        if navigation.get("errorText"):
            raise BrowserError(f"cannot open {url}: {navigation['errorText']}")
        # The load of this navigation, not a late one of about:blank.
        loader = navigation["loaderId"]
        self.wait_for(session, "Page.lifecycleEvent", since, lambda p: p["name"] == "load" and p["loaderId"] == loader)
        return Page(self, session)

    def _receive(self, deadline: float, waiting_for: str) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BrowserError(f"timed out waiting for {waiting_for}; browser log: {self.log}")
            ready, _, _ = select.select([self._from_browser], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise BrowserError(
                    f"browser exited ({self._process.poll()}) while waiting for {waiting_for}; log: {self.log}"
                )
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        parsed: dict[str, Any] = json.loads(message)
        return parsed


class Page:
    """A tab attached through a flat DevTools session."""

    def __init__(self, browser: Browser, session: str) -> None:
        self._browser = browser
        self._session = session

    def evaluate(self, expression: str) -> Any:
        """The JSON value of a JavaScript expression (promises are awaited)."""
        reply = self._browser.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            self._session,
        )
        if "exceptionDetails" in reply:
            raise BrowserError(f"{expression!r} threw: {_exception_text(reply['exceptionDetails'])}")
        return reply["result"].get("value")

    def screenshot(self) -> bytes:
        """A PNG of the whole page, not only the window."""
        size = self._browser.send("Page.getLayoutMetrics", session=self._session)["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        reply = self._browser.send(
            "Page.captureScreenshot",
            {"format": "png", "captureBeyondViewport": True, "clip": clip},
            self._session,
        )
        return base64.b64decode(reply["data"])

    def problems(self) -> list[str]:
        """Console errors, uncaught exceptions, error log entries and failed loads so far."""
        found = []
        for event in self._events():
            method, params = event["method"], event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                args = params.get("args", [])
                found.append("console: " + " ".join(str(a.get("value", a.get("description", ""))) for a in args))
            elif method == "Runtime.exceptionThrown":
                found.append("exception: " + _exception_text(params.get("exceptionDetails", {})))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                entry = params["entry"]
                found.append(f"log ({entry.get('source')}): {entry.get('text')} {entry.get('url', '')}".rstrip())
            elif method == "Network.loadingFailed":
                found.append(f"load failed: {params.get('errorText')}")
        return found

    def requests(self) -> list[str]:
        """URLs the page requested, in order."""
        return [
            e["params"]["request"]["url"] for e in self._events() if e["method"] == "Network.requestWillBeSent"
        ]

    def _events(self) -> list[dict[str, Any]]:
        return [e for e in self._browser.events if e.get("sessionId") == self._session and "method" in e]


def _pipe_setup(reads: int, writes: int) -> Callable[[], None]:
    """Runs in the child before exec: puts the pipe ends where the browser expects them."""

    def setup() -> None:
        os.dup2(reads, _BROWSER_READS)
        os.dup2(writes, _BROWSER_WRITES)

    return setup


def _exception_text(details: dict[str, Any]) -> str:
    exception = details.get("exception", {})
    return str(exception.get("description") or details.get("text", "unknown exception"))
