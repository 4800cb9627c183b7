"""A real local server and headless Chromium (Debian's, installed by the Makefile) for page tests.

Playwright drives ``/usr/bin/chromium`` (``FRAMELENS_CHROMIUM`` to override): its own browser
download is not available here. Screenshots of the main views are kept in
``.cache/screenshots/`` as test artifacts.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.shared import MODELS

if TYPE_CHECKING:
    from collections.abc import Iterator

CHROMIUM = os.environ.get("FRAMELENS_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".cache" / "screenshots"
# The probe's flags: no sandbox (root in CI), and no background traffic to a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]

pytestmark = pytest.mark.slow
ENDED = {"finished", "failed", "cancelled"}


@dataclass
class Server:
    """The app on a real port (the page's fetches and its <video> go over HTTP)."""

    url: str
    services: Any

    def key(self, tenant: str = "viewer") -> str:
        secret, _ = self.services.keys.create(tenant, "pro")
        return str(secret)

    def client(self, key: str) -> Any:
        """An HTTP client of the same server with ``key`` (to set up jobs, check API state)."""
        import httpx

        return httpx.Client(base_url=self.url, headers={"X-API-Key": key}, timeout=60)

    def wait(self, client: Any, job_id: str, timeout_s: float = 180) -> dict[str, Any]:
        """Poll the job until it has ended."""
        deadline = time.monotonic() + timeout_s
        while (job := client.get(f"/v1/jobs/{job_id}").json())["state"] not in ENDED:
            assert time.monotonic() < deadline, job
            time.sleep(0.2)
        return dict(job)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    import uvicorn

    from framelens.api import create_app
    from framelens.config import Settings
    from framelens.runtime import build_services

    tmp = tmp_path_factory.mktemp("viewer")
    settings = Settings(data_dir=tmp / "data", model_dir=MODELS, model_cache_dir=tmp / "cache")
    services = build_services(settings)
    port = _free_port()
    config = uvicorn.Config(create_app(services), host="127.0.0.1", port=port, log_level="warning")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield Server(f"http://127.0.0.1:{port}", services)
    uv.should_exit = True
    thread.join(timeout=10)
    services.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (make test installs Debian's chromium)")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def screenshot(page: Any, name: str) -> Path:
    """Keep a screenshot of the current view as a test artifact."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def login(page: Any, server: Server, key: str, hash_: str = "") -> None:
    """Open the page (at ``hash_``) and enter ``key`` as a user does."""
    page.goto(server.url + "/" + hash_)
    page.fill("#key-input", key)
    page.click("#key-form button[type=submit]")
