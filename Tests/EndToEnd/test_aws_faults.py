"""The AWS backend when AWS stops answering: moto_server paused with SIGSTOP, so connections
hang rather than fail fast, as with a network partition. Pages answer a clear 503 in bounded
time, failed uploads leave no record, the worker backs off and finishes every job afterwards.

S3 runs on a second moto_server (AWS_ENDPOINT_URL_S3) so that S3 can fail alone, after the
responder has read the session from DynamoDB."""
import os
import re
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from conftest import TESTDATA, Stack, register_and_login
from test_browser_flow import upload, wait_ready

# Short AWS timeouts and two attempts, so that a hung call is given up in seconds.
FAULT_ENV = {
    "GALLERY_AWS_TIMEOUT_SECONDS": "2",
    "GALLERY_AWS_CONNECT_TIMEOUT_SECONDS": "1",
    "AWS_MAX_ATTEMPTS": "2",
    # A job the worker could not give back during the outage returns when its lease runs out:
    # short here, so that the test does not wait the default minute for it.
    "GALLERY_LEASE_SECONDS": "10",
}
SMALL = TESTDATA / "photos" / "albums" / "nature" / "prairie_falcon.jpg"
NATURE = sorted((TESTDATA / "photos" / "albums" / "nature").glob("*.jpg"))
# 2 × (2 s timeout + jittered retry pause) for the failing call, plus slack for a loaded machine.
BOUND = 15


class S3Moto:
    """A second serialized moto_server, for S3 alone."""

    def __init__(self, workdir: Path):
        self.log = open(workdir / "moto-s3.log", "wb")
        self.proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("moto_serialized.py"))],
                                     stdout=subprocess.PIPE, stderr=self.log)
        self.endpoint = f"http://127.0.0.1:{int(self.proc.stdout.readline())}"

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.log.close()


@pytest.fixture(scope="module")
def aws(tmp_path_factory):
    data = tmp_path_factory.mktemp("faults")
    s3 = S3Moto(data)
    s = Stack(data, extra_env={**FAULT_ENV, "AWS_ENDPOINT_URL_S3": s3.endpoint}, backend="aws")
    s.s3moto = s3
    try:
        s.start()
        yield s
    finally:
        for proc in (s.moto.proc, s3.proc):  # never leave a server stopped behind
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGCONT)
        codes = s.stop()
        s3.stop()
    assert codes.get("fcgi") == 0, f"gallery-fcgi did not exit cleanly: {codes}\n{s.log('fcgi')}"
    assert codes.get("worker") == 0, f"gallery-worker did not exit cleanly: {codes}\n{s.log('worker')}"


@contextmanager
def paused(*procs):
    """SIGSTOP: the servers keep their sockets, so connections are accepted and then hang."""
    for p in procs:
        os.kill(p.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for p in procs:
            os.kill(p.pid, signal.SIGCONT)


def stored(stack):
    return stack.image_ids(), stack.job_count(), stack.blob_keys()


def assert_clear_503(response, started):
    elapsed = time.time() - started
    assert response.status_code == 503, f"{response.status_code}: {response.text[:500]}"
    assert elapsed < BOUND, f"took {elapsed:.1f} s"
    assert "Temporarily unavailable" in response.text and "could not reach its storage" in response.text, response.text
    for leak in ["Traceback", "Fatal error", ".swift", "moto", "127.0.0.1", "AWSError"]:
        assert leak not in response.text, f"{leak!r} in the page: {response.text}"


def test_aws_paused_gives_clear_503_and_loses_nothing(aws):
    b = register_and_login(aws, "patience")
    token = b.csrf("/upload")
    before = stored(aws)
    with paused(aws.moto.proc, aws.s3moto.proc):
        started = time.time()
        assert_clear_503(requests.get(aws.base + "/", timeout=60), started)
        started = time.time()
        r = b.post(aws.base + "/upload", data={"csrf": token, "visibility": "public"},
                   files=[("photos", (SMALL.name, SMALL.read_bytes(), "image/jpeg"))], allow_redirects=False, timeout=60)
        assert_clear_503(r, started)
    assert stored(aws) == before, "the failed upload left something behind"
    assert not aws.temp_files()

    # Back to normal at once: no restart, no stale connection breaks the next requests.
    assert requests.get(aws.base + "/", timeout=10).status_code == 200
    assert upload(b, [SMALL]).status_code == 303
    wait_ready(b, 1, timeout=30)


def test_s3_down_during_upload_leaves_no_record(aws):
    """Only S3 hangs: the session is read, the original's write times out. No image record, no
    job; an object S3 took after all (the request was in its socket when the client gave up)
    is an orphan, which the sweep removes."""
    b = register_and_login(aws, "halfway")
    token = b.csrf("/upload")
    images, jobs, blobs = stored(aws)
    with paused(aws.s3moto.proc):
        started = time.time()
        r = b.post(aws.base + "/upload", data={"csrf": token, "visibility": "public"},
                   files=[("photos", (SMALL.name, SMALL.read_bytes(), "image/jpeg"))], allow_redirects=False, timeout=60)
        assert_clear_503(r, started)
    time.sleep(1)  # let S3 finish whatever it had queued
    assert aws.image_ids() == images and aws.job_count() == jobs
    late = aws.blob_keys() - blobs
    assert all(re.fullmatch(r"originals/[0-9a-f]{2}/[0-9a-f]{32}\.jpg", k) for k in late), late
    sweep = aws.gallery("blobs", "sweep", "--older-than", "0")
    assert sweep.returncode == 0, sweep.stderr
    assert f"{len(late)} orphaned blob(s) deleted" in sweep.stderr, sweep.stdout + sweep.stderr
    assert aws.blob_keys() == blobs


def test_worker_backs_off_while_aws_is_away_and_finishes_everything(aws):
    b = register_and_login(aws, "stormy")
    log_start = len(aws.log("worker"))
    # Small photos: the worker spends its time on storage calls, not in a long decode, so the
    # outage meets it in the middle of its work.
    photos = NATURE
    assert upload(b, photos).status_code == 303
    deadline = time.time() + 20
    while "image ready" not in aws.log("worker")[log_start:]:
        assert time.time() < deadline, aws.log("worker")[log_start:]
        time.sleep(0.05)
    # A job takes about a second: 0.4 s after one is ready the worker is inside the next one.
    # The outage lasts longer than one call's two timed-out attempts (2 × 2 s), so that the
    # worker sees a call fail, whether in the job or in its next claim.
    time.sleep(0.4)
    with paused(aws.moto.proc, aws.s3moto.proc):
        time.sleep(6)
    ids = wait_ready(b, len(photos), timeout=40)
    assert len(ids) == len(photos)
    assert not re.search(r"Could not process|failed", b.page("/gallery").text)
    log = aws.log("worker")[log_start:]
    assert "backing off" in log, log
    assert re.search(r"timed out|timeout|Timeout", log), log
    assert "storage reachable again" in log, log
    dead = aws.gallery("jobs", "list", "--status", "dead")
    assert dead.returncode == 0 and len(dead.stdout.splitlines()) <= 1, dead.stdout
