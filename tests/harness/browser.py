"""The sandbox as a visitor meets it: `rethread run` without a token as its own process, and its page, driven
either through the page's own HTTP API (what the page's scripts call) or in a real headless Chromium.

Used by tests/test_sandbox.py, tests/test_sandbox_browser.py and bench/screenshots.py. Everything here is
synchronous (Selenium is); the sandbox runs in another process."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent
SEEDS = ROOT / "seeds"
CHROMIUM = Path(os.environ.get("RETHREAD_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("RETHREAD_CHROMEDRIVER", "/usr/bin/chromedriver"))
BOT_NAME = "Rethread"  # the author of the bot's own messages; replayed comments carry their commenter's name
_URL = re.compile(r"http://127\.0\.0\.1:\d+/#[A-Za-z0-9_-]+")
_FOOTER = re.compile(r"(?:-# )?#(\d+)(?: · .*)?")  # a comment's last line: "#3", "#3 · not verified · …"


def wait_for(condition: Callable[[], Any], timeout: float, what: str | Callable[[], str],
             interval: float = 0.1) -> Any:
    """Poll until ``condition()`` is truthy and return it; AssertionError naming ``what`` (or what ``what()``
    returns then, e.g. a log) after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what if isinstance(what, str) else what()}")
        time.sleep(interval)


@dataclass(frozen=True)
class Message:
    id: int
    author: str
    content: str

    @property
    def comment_number(self) -> int | None:
        """The replayed comment this message shows (from its ``-# #N`` footer); None for the bot's own."""
        lines = self.content.strip().splitlines()
        found = _FOOTER.fullmatch(lines[-1].strip()) if lines and not self.by_bot else None
        return int(found.group(1)) if found else None

    @property
    def by_bot(self) -> bool:
        return self.author == BOT_NAME


def comment_numbers(messages: list[Message]) -> list[int]:
    """The numbers of the replayed comments among ``messages``, in order (a comment long enough for two messages
    has its footer on the last)."""
    return [n for m in messages if (n := m.comment_number) is not None]


class Sandbox:
    """`rethread run --seeds seeds/` with no DISCORD_TOKEN, in ``workdir`` (so no .env is read), on ``db``."""

    def __init__(self, workdir: Path, db: Path, *, seeds: Path = SEEDS):
        self.workdir, self.db, self.seeds = workdir, db, seeds
        self.log_path = workdir / "sandbox.log"
        self.proc: subprocess.Popen | None = None
        self.url = ""
        self.starts = 0

    def start(self, timeout: float = 30.0) -> str:
        """Start it and return the page's address, once printed."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "RETHREAD_", "DEV_GUILD"))}
        env.update(RETHREAD_DB=str(self.db), DISCORD_TOKEN="", PYTHONUNBUFFERED="1", LOG_LEVEL="INFO",
                   COLUMNS="400")  # COLUMNS: rich must not wrap the address
        self.starts += 1
        with self.log_path.open("a") as log:
            log.write(f"\n===== start {self.starts} =====\n")
            log.flush()
            offset = self.log_path.stat().st_size
            self.proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--seeds", str(self.seeds)],
                                         cwd=self.workdir, env=env, stdout=log, stderr=subprocess.STDOUT)

        def printed() -> str | None:
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(f"the sandbox exited with {self.proc.returncode}:\n{self.log()}")
            with self.log_path.open(errors="replace") as log:
                log.seek(offset)
                found = _URL.search(log.read())
            return found.group(0) if found else None

        self.url = wait_for(printed, timeout, "the sandbox to print its address")
        return self.url

    def stop(self, timeout: float = 20.0) -> int:
        """Ctrl-C, as a visitor stops it; returns the exit code."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            raise AssertionError(f"the sandbox ignored Ctrl-C for {timeout} s:\n{self.log()}") from None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


# -- the page's HTTP API (SimCord preview protocol 3), as the page's scripts use it -----------------------------


class PageApi:
    """One open page of the sandbox, without a browser: its messages, and slash commands run as the visitor."""

    def __init__(self, url: str):
        self.base, self.capability = url.split("/#", 1)
        page = self._call("POST", "/api/pages", {})
        self.context = page["context"]
        self.bot_generation = page["botGeneration"]
        self.sequence = 0
        catalog = self._call("GET", "/api/commands")
        self.commands = {entry["invocation"]: entry for entry in catalog["entries"]}

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        headers = {"X-Simcord-Capability": self.capability, "Content-Type": "application/json"}
        if hasattr(self, "context"):
            headers["X-Simcord-Context"] = self.context["id"]
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"{method} {path}: HTTP {exc.code} {exc.read()[:500]!r}") from None

    def state(self) -> dict[str, Any]:
        return self._call("GET", "/api/state")

    def messages(self) -> list[Message]:
        """What the page shows now, oldest first (no action taken: this is what its 0.5 s poll returns)."""
        shown = self.state()["messages"].values()
        return [Message(int(m["id"]), m["author"]["name"], m["content"])
                for m in sorted(shown, key=lambda m: int(m["id"]))]

    def run(self, invocation: str, **options: str) -> dict[str, Any]:
        """Run ``/invocation`` with string options, as the composer sends it; the settled action's result."""
        entry = self.commands[invocation]
        self.sequence += 1
        body = {"kind": "run_command", "protocol_version": 3, "sequence": self.sequence,
                "request_id": uuid.uuid4().hex, "generation": self.context["generation"],
                "bot_generation": self.bot_generation, "published_revision": self.state()["publishedRevision"],
                "command_id": entry["commandId"], "path": entry["path"],
                "schema_fingerprint": entry["schemaFingerprint"], "options": options}
        result = self._call("POST", "/api/action", body)
        assert not result.get("rejected") and result.get("settlement") == "settled", result
        return result


# -- a real browser ------------------------------------------------------------------------------------------


def browser_unavailable() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not path.exists():
            return f"{path} is missing (apt-get install -y {package})"
    return None


@contextmanager
def chromium(width: int = 1280, height: int = 860) -> Iterator[Any]:
    """A headless Chromium with a fresh profile, quit (and the profile removed) on exit."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="rethread-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--hide-scrollbars", f"--user-data-dir={profile}",
                 f"--window-size={width},{height}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        # The page itself gets width x height (the window's frame would otherwise take some of it).
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


_READ_MESSAGES = """
let author = null;
return [...document.querySelectorAll('#channel-message-list .channel-message[data-message-id]')].map((el) => {
  const header = el.querySelector('.message-header .message-author');
  if (header) author = header.textContent.trim();  // a grouped message has no header: its group's author
  const content = el.querySelector('.message-content');
  return [el.dataset.messageId, author || '', content ? content.innerText : ''];
});"""


class SandboxPage:
    """The sandbox page in a browser, used with the keyboard and mouse as a visitor would."""

    def __init__(self, driver: Any, timeout: float = 15.0):
        from selenium.webdriver.support.ui import WebDriverWait

        self.driver = driver
        self.wait = WebDriverWait(driver, timeout)

    def open(self, url: str) -> None:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec

        self.driver.get(url)
        self.wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, "#channel-composer-input")))

    def _all(self, css: str) -> list[Any]:
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def _one(self, css: str) -> Any:
        return self.wait.until(lambda d: (found := self._all(css)) and found[0])

    def _suggestions(self) -> list[Any]:
        return self._all("#command-suggestion-listbox .command-suggestion")

    def messages(self) -> list[Message]:
        """Every message on the page, oldest first, read in one go (elements re-render as the page polls)."""
        rows = self.driver.execute_script(_READ_MESSAGES)
        return [Message(int(i), author, content) for i, author, content in rows]

    def start_replay(self, thread: str, pace: str) -> None:
        """Type ``/replay start``, pick the thread whose title matches ``thread`` and the pace from the
        suggestions, and send, all from the keyboard except the "+ more options" button."""
        from selenium.webdriver.common.keys import Keys

        composer = self._one("#channel-composer-input")
        composer.click()
        composer.send_keys("/replay start")
        self._one("#command-picker-listbox .command-entry.is-active")
        composer.send_keys(Keys.ENTER)  # the highlighted command
        field = self._one('.command-option-input[data-option="thread"]')
        field.send_keys(thread)
        self.wait.until(lambda d: self._suggestions())  # autocomplete answers after a 250 ms debounce
        field.send_keys(Keys.ENTER)  # the highlighted (first) suggestion
        self._one(".command-row .command-ghost").click()  # the optional options
        self.wait.until(lambda d: any(s.get_attribute("data-value") == "pace" for s in self._suggestions()))
        next(s for s in self._suggestions() if s.get_attribute("data-value") == "pace").click()
        field = self._one('.command-option-input[data-option="pace"]')
        field.send_keys(pace)
        field.send_keys(Keys.ESCAPE)  # close the suggestions, else Enter picks one instead of sending
        field.send_keys(Keys.ENTER)
        self.wait.until(lambda d: not self._all(".command-row"))  # the draft is gone once the command settled

    def scroll_to_latest(self) -> None:
        self.driver.execute_script(
            "const t = document.getElementById('channel-timeline'); t.scrollTop = t.scrollHeight;")

    def screenshot(self, path: Path) -> None:
        """The page as it stands, with the pointer moved off the messages (hovering one shows its tools)."""
        from selenium.webdriver.common.action_chains import ActionChains

        ActionChains(self.driver).move_to_element(self._one("#channel-composer-input")).perform()
        time.sleep(0.2)
        self.driver.save_screenshot(str(path))
