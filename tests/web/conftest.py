"""Fixtures for the web tests: a real server (``samsim serve`` in a subprocess) and Chromium.

Browser tests carry ``@pytest.mark.browser``. Without ``/usr/bin/chromium`` they
are skipped at collection with the reason, unless ``SAMSIM_REQUIRE_BROWSER=1``
(set by ``.ci/run``), in which case they fail loudly. Playwright drives the
Debian Chromium through ``executable_path``; ``playwright install`` is never run.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "web"


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "browser: drives headless Chromium (skipped without /usr/bin/chromium "
        "unless SAMSIM_REQUIRE_BROWSER=1)",
    )


def browser_required() -> bool:
    return os.environ.get("SAMSIM_REQUIRE_BROWSER") == "1"


def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists() or browser_required():
        return
    skip = pytest.mark.skip(
        reason=f"browser test: {CHROMIUM} is not installed (apt-get install chromium; "
        "set SAMSIM_REQUIRE_BROWSER=1 to make this a failure)"
    )
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _samsim_command() -> list[str]:
    script = Path(sys.executable).with_name("samsim")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from samsim.cli import main; main()"]


class Server:
    """A ``samsim serve`` subprocess on a free loopback port with its own store."""

    def __init__(self, data_dir: Path, workers: int = 1, max_body_bytes: int = 1_000_000):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = data_dir
        self.log_path = data_dir.parent / f"server-{self.port}.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            [
                *_samsim_command(),
                "serve",
                "--port",
                str(self.port),
                "--data",
                str(data_dir),
                "--workers",
                str(workers),
                "--max-body-bytes",
                str(max_body_bytes),
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()}")
            try:
                if httpx.get(self.url + "/api/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("server did not answer within 60 s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("web")
    srv = Server(root / "data")
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


@pytest.fixture
def artifacts(request) -> Path:
    """Folder for screenshots and downloads of one test (kept after the run)."""
    path = ARTIFACTS / request.node.name
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(
            f"SAMSIM_REQUIRE_BROWSER=1 but {CHROMIUM} is missing "
            "(install it with apt-get install chromium)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server, artifacts):
    """The app loaded in a fresh browser context that may reach nothing but the server;
    fails the test on JavaScript errors or requests to anywhere else."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    pg = context.new_page()
    outside: list[str] = []
    errors: list[str] = []

    def guard(route):
        url = route.request.url
        if url.startswith(server.url) or url.startswith("data:"):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    pg.route("**/*", guard)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(server.url + "/")
    pg.wait_for_selector("body[data-ready='1']", timeout=30_000)
    yield pg
    pg.screenshot(path=str(artifacts / "last.png"))
    print(f"\nscreenshots: {artifacts}")
    context.close()
    assert not outside, f"the page asked for resources outside the server: {outside}"
    assert not errors, f"JavaScript errors: {errors}"
