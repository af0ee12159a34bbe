"""Two app servers, a job worker and an SMTP sink, as production runs them, for the two-server
test (tests/deploy/test_two_servers.py).

Each server is a real gunicorn with its own instance folder (its own Whoosh folder, if any,
and its own in-process caches); they share one PostgreSQL database, one Redis and the
uploaded photos (on one disk here; an S3-compatible store or a shared volume in production,
docs/deployment.md). Pages are read and forms posted through HTTP like a browser does:
tokens come from the forms themselves.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
BIN = Path(PYTHON).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


# --- forms, as a browser reads them ------------------------------------------------------------


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: dict[str, str] = field(default_factory=dict)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), a.get("method", "get").lower()))
        elif not self.forms:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in {"checkbox", "radio"} and "checked" not in a:
                return
            if kind == "submit":
                self.forms[-1].buttons[a["name"]] = a.get("value", "")
            elif kind != "file":
                self.forms[-1].fields[a["name"]] = a.get("value", "")
        elif tag == "button" and a.get("name"):
            self.forms[-1].buttons[a["name"]] = a.get("value", "")
        elif tag == "textarea" and a.get("name"):
            self.forms[-1].fields[a["name"]] = ""
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self.forms[-1].fields.setdefault(a["name"], "")
        elif tag == "option" and self._select and "selected" in a:
            self.forms[-1].fields[self._select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def forms(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def form_to(html: str, action_ends: str, page_url: str = "") -> Form:
    """The page's form posting to a URL ending in `action_ends` (an empty action posts to
    the page's own URL)."""
    found = [
        f for f in forms(html) if urlsplit(urljoin(page_url, f.action)).path.endswith(action_ends)
    ]
    assert found, f"no form posting to …{action_ends} on the page"
    return found[0]


class Browser:
    """One visitor: cookies kept, forms posted with the page's own hidden fields."""

    def __init__(self, base_url: str) -> None:
        self.client = httpx.Client(base_url=base_url, follow_redirects=True, timeout=30)

    def get(self, path: str, **kwargs) -> httpx.Response:
        return self.client.get(path, **kwargs)

    def submit(
        self,
        page: httpx.Response,
        action_ends: str,
        values: dict[str, str] | None = None,
        button: str | None = None,
    ) -> httpx.Response:
        """Post the form of `page` whose action ends with `action_ends`, like pressing its
        submit button (`button`: the named one; otherwise the form's only named button)."""
        form = form_to(page.text, action_ends, str(page.url))
        data = {**form.fields, **(values or {})}
        if button is not None:
            data[button] = form.buttons.get(button, "1")
        elif len(form.buttons) == 1:
            data.update(form.buttons)
        url = urljoin(str(page.url), form.action or str(page.url))
        return self.client.post(url, data=data, headers={"Referer": str(page.url)})

    def log_in(self, email: str, password: str) -> httpx.Response:
        page = self.get("/account/login")
        return self.submit(page, "/account/login", {"email": email, "password": password})

    def close(self) -> None:
        self.client.close()


# --- an SMTP sink ------------------------------------------------------------------------------


class MailSink:
    """An SMTP server in this process (aiosmtpd) collecting every message it is sent; it can
    be stopped and started again on the same port."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()
        self._controller = None

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        with self._lock:
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 OK"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if address in str(m["To"])]


# --- processes ---------------------------------------------------------------------------------


def flask(env: dict[str, str], *args: str, timeout: float = 600) -> str:
    done = subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=5)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def start(name: str, command: list[str], env: dict[str, str], logs: Path) -> Process:
    log = logs / f"{name}.log"
    handle = log.open("wb")
    popen = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return Process(name, popen, log)


def gunicorn(name: str, port: int, env: dict[str, str], logs: Path) -> Process:
    return start(
        name,
        [
            str(BIN / "gunicorn"),
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--graceful-timeout",
            "5",
            "--no-control-socket",
            "wsgi:app",
        ],
        env,
        logs,
    )


def wait_until(check: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)


def wait_for_http(process: Process, url: str, timeout: float = 60) -> None:
    def up() -> bool:
        if process.popen.poll() is not None:
            raise RuntimeError(f"{process.name} exited:\n{process.output()}")
        try:
            return httpx.get(url, timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    if not wait_until(up, timeout, 0.2):
        raise RuntimeError(f"{process.name} did not answer {url}:\n{process.output()}")


@contextmanager
def running(processes: list[Process]) -> Iterator[list[Process]]:
    try:
        yield processes
    finally:
        for process in processes:
            process.stop()


def environment(**settings: str) -> dict[str, str]:
    """The process environment for a server or command: this one's PATH and Python, the
    given settings, nothing from a developer's .env that could point elsewhere."""
    keep = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "TZ"}}
    return {**keep, "PYTHONPATH": str(ROOT), **settings}
