"""A headless Chromium driven over the DevTools protocol on a pipe (fds 3 and 4, messages ended
by NUL), for pages that must load with no console error and no request leaving the file.

Only what the report tests need: open a page at a viewport, collect its console messages,
exceptions and requests until it has loaded, read its text, take a screenshot, print a PDF.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class PageLoad:
    requests: list[str] = field(default_factory=list)
    console: list[tuple[str, str]] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    log_errors: list[str] = field(default_factory=list)


class Chromium:
    def __init__(self, binary: str) -> None:
        self.profile = tempfile.mkdtemp(prefix="breakglass-chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        # Chromium reads commands on fd 3 and writes answers on fd 4; bash puts the pipe ends
        # there, whatever numbers they have here (dash takes one-digit numbers only).
        arguments = [
            binary, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
            "--no-first-run", "--disable-extensions", "--disable-background-networking",
            f"--user-data-dir={self.profile}", "about:blank",
        ]
        self.process = subprocess.Popen(
            ["bash", "-c", f'exec "$@" 3<&{to_browser_r} 4>&{from_browser_w}', "chromium", *arguments],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(to_browser_r, from_browser_w),
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []

    def close(self) -> None:
        self.process.kill()
        self.process.wait(10)
        os.close(self._to_browser)
        os.close(self._from_browser)
        shutil.rmtree(self.profile, ignore_errors=True)

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("Chromium did not answer")
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed the pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 30) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            answer = self._read_message(deadline)
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self.events.append(answer)

    def wait_for(self, method: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events:
                if event.get("method") == method:
                    return event
            self.events.append(self._read_message(deadline))

    def open(self, url: str, width: int, height: int, mobile: bool) -> tuple[str, PageLoad]:
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Network", "Runtime", "Log", "Page"):
            self.call(f"{domain}.enable", session=session)
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
            session=session,
        )
        self.events.clear()
        self.call("Page.navigate", {"url": url}, session=session)
        self.wait_for("Page.loadEventFired")
        load = PageLoad()
        for event in self.events:
            params = event.get("params", {})
            match event.get("method"):
                case "Network.requestWillBeSent":
                    load.requests.append(params["request"]["url"])
                case "Runtime.consoleAPICalled":
                    load.console.append((params.get("type", ""), json.dumps(params.get("args", []))))
                case "Runtime.exceptionThrown":
                    load.exceptions.append(json.dumps(params.get("exceptionDetails", {})))
                case "Log.entryAdded":
                    entry = params.get("entry", {})
                    if entry.get("level") == "error":
                        load.log_errors.append(entry.get("text", ""))
        return session, load

    def text(self, session: str) -> str:
        result = self.call("Runtime.evaluate", {"expression": "document.body.innerText", "returnByValue": True}, session=session)
        return result["result"]["value"]

    def evaluate(self, session: str, expression: str):
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=session)
        return result["result"].get("value")

    def screenshot(self, session: str, path: Path) -> None:
        data = self.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}, session=session)["data"]
        path.write_bytes(base64.b64decode(data))

    def pdf(self, session: str) -> bytes:
        return base64.b64decode(self.call("Page.printToPDF", {"printBackground": False}, session=session)["data"])
