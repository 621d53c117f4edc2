"""Playwright driving Debian's chromium package (never a downloaded browser build) against the
real stack. Test modules import the fixtures and helpers they use from here."""
import base64
import os
import shutil
import signal
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from playwright.sync_api import sync_playwright

from conftest import TESTDATA

CHROMIUM = os.environ.get("GALLERY_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
PHOTOS = sorted((TESTDATA / "orientation").glob("Landscape_*.jpg"))


# Per module: each test module imports this fixture, and two Playwright instances cannot be
# open in one thread at once.
@pytest.fixture(scope="module")
def chromium():
    assert Path(CHROMIUM).exists(), f"Debian's chromium is not installed at {CHROMIUM} (scripts/install-deps --test)"
    with sync_playwright() as p:
        # --no-sandbox: the tests run as root in CI, where chromium's sandbox refuses to start.
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield browser
        browser.close()


def context_for(chromium, stack, session=None, **options):
    """A browser context signed in as the requests session `session` (its cookies), if given."""
    options.setdefault("viewport", {"width": 1280, "height": 900})
    context = chromium.new_context(base_url=stack.base, **options)
    if session is not None:
        context.add_cookies([{"name": c.name, "value": c.value, "url": stack.base} for c in session.cookies])
    return context


class PageProblems:
    """Console errors, uncaught exceptions and CSP violations of a page: a test ends with none."""

    def __init__(self, page):
        self.items = []
        page.on("console", lambda m: self.items.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.items.append(f"page error: {e}"))

    def check(self, allow=()):
        left = [p for p in self.items if not any(a in p for a in allow)]
        assert not left, left


def drop(page, files, target="body"):
    """Drops files on `target` as a person dragging them from the desktop would:
    dragenter, dragover and drop events carrying a DataTransfer with real File objects."""
    payload = [{"name": name, "type": mime, "b64": base64.b64encode(data).decode()} for name, data, mime in files]
    transfer = page.evaluate_handle("""(files) => {
        const dt = new DataTransfer();
        for (const f of files) {
            const bin = atob(f.b64);
            const bytes = new Uint8Array(bin.length);
            for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
            dt.items.add(new File([bytes], f.name, { type: f.type }));
        }
        return dt;
    }""", payload)
    for event in ["dragenter", "dragover", "drop"]:
        page.dispatch_event(target, event, {"dataTransfer": transfer})


@contextmanager
def worker_paused(stack):
    """Holds the worker (SIGSTOP) so that uploads stay `processing` until the block ends."""
    worker = stack.procs["worker"]
    worker.send_signal(signal.SIGSTOP)
    try:
        yield
    finally:
        worker.send_signal(signal.SIGCONT)


def upload(session, stack, paths, visibility="public"):
    """Uploads through the form (requests), returns the new image ids, newest first."""
    files = [("photos", (p.name, p.read_bytes(), "image/jpeg")) for p in paths]
    before = stack.image_ids()
    r = session.submit("/upload", "/upload", {"visibility": visibility}, files=files)
    assert r.status_code == 303, r.text[:500]
    return sorted(stack.image_ids() - before, reverse=True)


def wait_ready(stack, session, ids, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = session.get(stack.base + "/api/status?ids=" + ",".join(ids)).json()
        if all(r["images"].get(i, {}).get("status") == "ready" for i in ids):
            return
        time.sleep(0.2)
    raise AssertionError(f"not ready after {timeout}s: {r}")


def no_horizontal_scroll(page):
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
