"""Restarts without a gap, as scripts/run starts the stack (responder and worker under
scripts/supervise, the responder's socket held across its restarts): a restart under load
fails no request, and a responder or worker killed with SIGKILL is started again."""
import os
import signal
import subprocess
import threading
import time

import pytest
import requests

from conftest import Stack, register_and_login
from test_browser_flow import PHOTOS, upload, wait_ready


@pytest.fixture
def supervised(tmp_path):
    stack = Stack(tmp_path / "data", supervised=True).start()
    yield stack
    stack.stop()


def child_of(stack, name):
    """The pid of the program a supervisor runs (it execs over the shell it started)."""
    out = subprocess.run(["pgrep", "-P", str(stack.procs[name].pid)], capture_output=True, text=True).stdout.split()
    assert len(out) >= 1, f"no {name} under its supervisor"
    return [int(pid) for pid in out]


def load(stack, stop, failures, counts):
    session = requests.Session()
    while not stop.is_set():
        for path in ("/healthz", "/login", "/register"):
            try:
                r = session.get(stack.base + path, timeout=20)
                counts.append(r.status_code)
                if r.status_code != 200:
                    failures.append((path, r.status_code, r.text[:200]))
            except requests.RequestException as error:
                failures.append((path, "error", str(error)))


def test_a_restart_under_load_fails_no_request(supervised):
    stop, failures, counts = threading.Event(), [], []
    threads = [threading.Thread(target=load, args=(supervised, stop, failures, counts)) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        time.sleep(0.5)
        pids = set()
        for _ in range(3):
            pids.update(child_of(supervised, "fcgi"))
            supervised.procs["fcgi"].send_signal(signal.SIGHUP)
            time.sleep(2.0)
        pids.update(child_of(supervised, "fcgi"))
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert len(pids) >= 4, f"each SIGHUP started a new responder: {pids}"
    deadline = time.time() + 10
    while supervised.log("fcgi").count("previous program exited with 0") < 3 and time.time() < deadline:
        time.sleep(0.2)
    assert supervised.log("fcgi").count("previous program exited with 0") == 3, "each old responder drained and exited"
    assert len(counts) > 100, "the load ran"
    assert failures == [], failures[:5]


def test_a_killed_responder_and_worker_come_back(supervised):
    old_fcgi = child_of(supervised, "fcgi")
    for pid in old_fcgi:
        os.kill(pid, signal.SIGKILL)
    # Connections wait in the socket's backlog until the new responder accepts them.
    r = requests.get(supervised.base + "/login", timeout=30)
    assert r.status_code == 200
    assert set(child_of(supervised, "fcgi")).isdisjoint(old_fcgi)

    old_worker = child_of(supervised, "worker")
    for pid in old_worker:
        os.kill(pid, signal.SIGKILL)
    browser = register_and_login(supervised, "restarter")
    assert upload(browser, PHOTOS[:1]).status_code == 303
    wait_ready(browser, 1)
    assert set(child_of(supervised, "worker")).isdisjoint(old_worker)
