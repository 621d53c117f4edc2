"""Scale-in without losing work: a worker instance picked for termination (IMDS
target-lifecycle-state, or a spot interruption notice) stops claiming, finishes the job it holds
and completes the lifecycle action; a replacement worker then does the rest.

Real processes: nginx, gallery-fcgi and gallery-worker (embedded backend: the drain does not
depend on it), `gallery lifecycle watch` against a fake IMDS (fake_imds.py) and moto's Auto
Scaling (the template's stack on moto, with the lifecycle calls moto lacks: moto_deploy.py)."""
import io
import signal
import sqlite3
import subprocess
import threading
import time

import pytest
from PIL import Image

from conftest import Browser, Stack, register_and_login
from fake_imds import FakeIMDS
from moto_deploy_server import DeployMoto
from test_browser_flow import wait_ready

STACK = "drain"


def big_photo(seed):
    """A 24-megapixel JPEG: about a second of decoding, long enough to be caught holding it."""
    image = Image.effect_noise((6000, 4000), 40 + seed).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    moto = DeployMoto(tmp_path_factory.mktemp("moto-drain"))
    moto.create_stack(STACK)
    hook = moto.add_drain_hook(STACK)
    instances = moto.client("autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=[f"{STACK}-workers"])["AutoScalingGroups"][0]["Instances"]
    yield moto, hook, instances[0]["InstanceId"]
    moto.stop()


def job_states(stack):
    db = sqlite3.connect(stack.data / "gallery.sqlite3")
    try:
        return dict(db.execute("select status, count(*) from jobs group by status").fetchall())
    finally:
        db.close()


def watch(stack, imds, moto, *extra):
    worker = stack.procs["worker"].pid
    # Reap the worker the moment it exits, as systemd does: `kill -0` succeeds on a zombie.
    threading.Thread(target=stack.procs["worker"].wait, daemon=True).start()
    # What systemctl stop does for a unit: SIGTERM, then wait until the process is gone.
    stop = f"kill -TERM {worker}; while kill -0 {worker} 2>/dev/null; do sleep 0.05; done"
    env = {**stack.env, **moto.env(), "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.url, "AWS_EC2_METADATA_DISABLED": "false",
           "GALLERY_LIFECYCLE_HOOK": "gallery-drain"}
    log = open(stack.data / "lifecycle.log", "wb")
    return subprocess.Popen([str(stack.bin / "gallery"), "lifecycle", "watch", "--poll-seconds", "0.2",
                             "--heartbeat-seconds", "0.3", "--stop-command", stop, *extra],
                            env=env, stdout=log, stderr=subprocess.STDOUT), log


def upload_big(browser, count):
    files = [("photos", (f"big{i}.jpg", big_photo(i), "image/jpeg")) for i in range(count)]
    r = browser.submit("/upload", "/upload", {"visibility": "public"}, files=files)
    assert r.status_code == 303, r.text[:500]


def wait_for(predicate, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def replace_worker_and_finish(stack, browser, expected):
    """A replacement instance's worker; every image ends ready, none failed."""
    stack.procs["worker"] = subprocess.Popen([str(stack.bin / "gallery-worker")], env=stack.env,
                                             stdout=stack.logs["worker"], stderr=subprocess.STDOUT)
    wait_ready(browser, expected, timeout=180)
    assert job_states(stack) == {"done": expected}


@pytest.mark.parametrize("notice", ["scale-in", "spot"])
def test_a_terminating_worker_finishes_its_job_and_completes_the_lifecycle_action(tmp_path, deployment, notice):
    moto, hook, instance = deployment
    # A spot interruption the group did not start has no lifecycle action: an instance id the
    # group does not know makes CompleteLifecycleAction fail the way AWS does.
    instance_id = instance if notice == "scale-in" else "i-0spot000000000000"
    imds = FakeIMDS(instance_id, f"{STACK}-workers")
    stack = Stack(tmp_path, extra_env={"GALLERY_WORKER_JOBS": "1"}).start()
    try:
        browser = register_and_login(stack, "drainer")
        watcher, log = watch(stack, imds, moto)
        calls_before = len(moto.lifecycle_calls())
        upload_big(browser, 6)
        wait_for(lambda: job_states(stack).get("running") == 1, 60, "the worker to hold a job")
        done_at_notice = job_states(stack).get("done", 0)
        noticed = time.time()
        imds.terminate() if notice == "scale-in" else imds.spot_interruption()

        assert watcher.wait(timeout=120) == 0, (stack.data / "lifecycle.log").read_text()
        drained_in = time.time() - noticed
        log.close()
        assert stack.procs["worker"].wait(timeout=5) == 0, stack.log("worker")
        lifecycle_log = (stack.data / "lifecycle.log").read_text()

        # It stopped claiming: the held job finished, the rest wait for another worker.
        states = job_states(stack)
        assert "running" not in states and "dead" not in states, states
        assert states.get("done", 0) == done_at_notice + 1, (done_at_notice, states)
        assert states.get("queued", 0) == 6 - states["done"], states
        assert "shutting down" in stack.log("worker")

        calls = moto.lifecycle_calls()[calls_before:]
        completions = [c for c in calls if c["action"] == "CompleteLifecycleAction"]
        heartbeats = [c for c in calls if c["action"] == "RecordLifecycleActionHeartbeat"]
        if notice == "scale-in":
            assert completions == [{"action": "CompleteLifecycleAction", "group": f"{STACK}-workers", "hook": hook,
                                    "instance": instance, "result": "CONTINUE"}], calls
            assert "lifecycle action completed" in lifecycle_log
            # Heartbeats every 0.3 s while the job finished (a hook outlives a long job that way).
            if drained_in > 1.0:
                assert heartbeats and all(h["instance"] == instance for h in heartbeats), (drained_in, calls)
        else:
            assert completions == [] and "no lifecycle action to complete for the spot interruption" in lifecycle_log
            assert "spot interruption notice: stopping the workers" in lifecycle_log
        # IMDSv2: every read carried the session token.
        assert all(token == FakeIMDS.TOKEN for method, _, token in imds.requests if method == "GET")

        replace_worker_and_finish(stack, browser, 6)
    finally:
        if "watcher" in locals() and watcher.poll() is None:
            watcher.send_signal(signal.SIGTERM)
            watcher.wait(timeout=10)
        codes = stack.stop()
        imds.stop()
    assert codes.get("worker") == 0, stack.log("worker")
