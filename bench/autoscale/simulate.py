#!/usr/bin/env python3
"""A scale-out simulation of the worker group, bounded in time (bench/autoscale/README.md).

Real parts: nginx + gallery-fcgi take the uploads (embedded backend, one SQLite file for all
workers, as one DynamoDB table would serve a real group); `gallery metrics publish` puts the
backlog to moto's CloudWatch; every simulated instance is a `gallery-worker` process with its
own `gallery lifecycle watch`, a fake IMDS and an instance id of the template's worker group on
moto (moto_deploy.py). The autoscaler loop reads the published metric back with GetMetricData
and applies the template's target-tracking rule — backlog per instance =
(queued + running) / in-service instances, held at BacklogPerInstanceTarget — starting workers
(scale-out) and draining them through the lifecycle path (scale-in). A few are SIGKILLed, as
lost instances.

Time is compressed: a metric period is PERIOD seconds, not a minute; instances start in a
second, not minutes. See the README for what that means for a real group.

usage: bench/autoscale/simulate.py [--duration 120] [--out bench/autoscale]   (needs a debug build)
"""
import argparse
import datetime
import json
import math
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "Tests" / "EndToEnd"))

import cfn_template  # noqa: E402
from conftest import TESTDATA, Stack, register_and_login  # noqa: E402
from fake_imds import FakeIMDS  # noqa: E402
from moto_deploy_server import DeployMoto  # noqa: E402

STACK = "sim"
PERIOD = 2.0          # seconds per metric period (CloudWatch: 60)
SCALE_IN_PERIODS = 5  # periods below 90 % of the target before one instance goes (AWS: 15 minutes)
MAX_INSTANCES = 4     # two cores: more processes add no throughput here
EXPRESSION = "(queued + running) / IF(instances > 0, instances, 1)"


def rule_from_template():
    template = cfn_template.load()
    policy = template["Resources"]["WorkerBacklogPolicy"]["Properties"]["TargetTrackingConfiguration"]
    expression = [m for m in policy["CustomizedMetricSpecification"]["Metrics"] if m.get("ReturnData", True)][0]["Expression"]
    assert expression == EXPRESSION, f"the template's rule changed: {expression}"
    return float(template["Parameters"]["BacklogPerInstanceTarget"]["Default"])


def backlog_per_instance(queued, running, instances):
    return (queued + running) / (instances if instances > 0 else 1)


class Instance:
    """One worker instance: gallery-worker + gallery lifecycle watch + its own IMDS."""

    def __init__(self, sim, instance_id, number):
        self.sim, self.id, self.number = sim, instance_id, number
        self.imds = FakeIMDS(instance_id, f"{STACK}-workers")
        env = sim.stack.env
        self.worker_log = open(sim.work / f"worker-{number}.log", "wb")
        self.worker = subprocess.Popen([str(sim.stack.bin / "gallery-worker")], env=env,
                                       stdout=self.worker_log, stderr=subprocess.STDOUT)
        # Reaped at once, as systemd does: `kill -0` succeeds on a zombie.
        threading.Thread(target=self.worker.wait, daemon=True).start()
        stop = f"kill -TERM {self.worker.pid}; while kill -0 {self.worker.pid} 2>/dev/null; do sleep 0.05; done"
        self.watch_log = open(sim.work / f"lifecycle-{number}.log", "wb")
        self.watcher = subprocess.Popen(
            [str(sim.stack.bin / "gallery"), "lifecycle", "watch", "--poll-seconds", "0.25", "--heartbeat-seconds", "1",
             "--stop-command", stop],
            env={**env, **sim.moto.env(), "AWS_EC2_METADATA_SERVICE_ENDPOINT": self.imds.url,
                 "AWS_EC2_METADATA_DISABLED": "false", "GALLERY_LIFECYCLE_HOOK": sim.hook},
            stdout=self.watch_log, stderr=subprocess.STDOUT)
        self.state = "in-service"

    def drain(self):
        """Scale-in through the lifecycle path; returns when the action is complete."""
        self.state = "draining"
        started = time.time()
        self.imds.terminate()
        code = self.watcher.wait(timeout=120)
        worker_code = self.worker.wait(timeout=10)
        self.close()
        self.state = "terminated"
        return code, worker_code, time.time() - started

    def kill(self):
        """A lost instance: no drain, no lifecycle action; its lease runs out."""
        self.worker.send_signal(signal.SIGKILL)
        self.watcher.send_signal(signal.SIGKILL)
        self.worker.wait()
        self.watcher.wait()
        self.close()
        self.state = "lost"

    def close(self):
        self.imds.stop()
        self.worker_log.close()
        self.watch_log.close()


class Simulation:
    def __init__(self, args):
        self.args = args
        self.work = Path(args.work or (REPO / ".build-bench" / f"autoscale-{int(time.time())}"))
        self.work.mkdir(parents=True, exist_ok=True)
        self.target = rule_from_template()
        self.samples, self.events, self.uploads = [], [], 0
        self.lock = threading.Lock()

    # --- set-up

    def start(self):
        self.photos = self.prepare_photos()
        self.moto = DeployMoto(self.work)
        self.moto.create_stack(STACK)
        self.hook = self.moto.add_drain_hook(STACK)
        autoscaling = self.moto.client("autoscaling")
        # Enough of the group's instance ids for every instance the simulation may start.
        autoscaling.update_auto_scaling_group(AutoScalingGroupName=f"{STACK}-workers", MinSize=1, MaxSize=40,
                                              DesiredCapacity=40)
        group = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[f"{STACK}-workers"])["AutoScalingGroups"][0]
        self.instance_ids = [i["InstanceId"] for i in group["Instances"]]
        env = {"GALLERY_WORKER_JOBS": "1", "GALLERY_LEASE_SECONDS": "6", "GALLERY_LOG_LEVEL": "info",
               **self.moto.env(), "AWS_EC2_METADATA_DISABLED": "true",
               "GALLERY_METRICS_STACK": STACK, "GALLERY_METRICS_NAMESPACE": "Gallery"}
        self.stack = Stack(self.work / "site", extra_env=env)
        self.stack.data.mkdir(parents=True, exist_ok=True)
        self.stack.start()
        # The stack's own worker is not an instance of the group: the simulation runs its own.
        self.stack.procs["worker"].send_signal(signal.SIGTERM)
        self.stack.procs["worker"].wait(timeout=60)
        self.browser = register_and_login(self.stack, "simulator")
        self.publisher = subprocess.Popen([str(self.stack.bin / "gallery"), "metrics", "publish", "--interval", str(PERIOD)],
                                          env=self.stack.env, stdout=open(self.work / "publisher.log", "wb"),
                                          stderr=subprocess.STDOUT)
        self.instances = [Instance(self, self.instance_ids.pop(0), 1)]
        self.started = time.time()
        self.started_ms = int(self.started * 1000)

    def in_service(self):
        return [i for i in self.instances if i.state == "in-service"]

    # --- load

    def prepare_photos(self):
        """Distinct photos (the gallery stores a photo its owner already has only once): the
        test set's nature photos, each re-encoded with one pixel changed."""
        import io
        from PIL import Image
        sources = [Image.open(p).convert("RGB") for p in sorted((TESTDATA / "photos" / "albums" / "nature").glob("*.jpg"))]
        count = int(self.args.rate * self.args.duration * 1.2) + 2 * self.args.burst + 20
        photos = []
        for i in range(count):
            image = sources[i % len(sources)].copy()
            image.putpixel((i % image.width, (i // image.width) % image.height), (i % 256, (i * 7) % 256, (i * 13) % 256))
            out = io.BytesIO()
            image.save(out, "JPEG", quality=88)
            photos.append((f"sim{i}.jpg", out.getvalue()))
        return photos

    def upload_stream(self, stop):
        photos = self.photos
        rate, duration = self.args.rate, self.args.duration
        bursts = {round(duration * 0.2): self.args.burst, round(duration * 0.55): self.args.burst}
        done_bursts = set()
        next_upload = time.time()
        while not stop.is_set():
            t = time.time() - self.started
            second = int(t)
            count = 1
            if second in bursts and second not in done_bursts:
                done_bursts.add(second)
                count = bursts[second]
                self.event(t, f"burst of {count} uploads")
            for start in range(0, count, 5):
                batch = [photos.pop() for _ in range(min(5, count - start))]
                files = [("photos", (name, data, "image/jpeg")) for name, data in batch]
                r = self.browser.submit("/upload", "/upload", {"visibility": "private"}, files=files)
                assert r.status_code == 303, r.text[:300]
                with self.lock:
                    self.uploads += len(batch)
            next_upload += 1.0 / rate
            time.sleep(max(0.0, next_upload - time.time()))

    # --- the metric, as the policy reads it

    def read_metric(self):
        cloudwatch = self.moto.client("cloudwatch")
        now = datetime.datetime.now(datetime.timezone.utc)
        queries = [{"Id": name.lower(), "ReturnData": True, "MetricStat": {
            "Metric": {"Namespace": "Gallery", "MetricName": name, "Dimensions": [{"Name": "StackName", "Value": STACK}]},
            "Period": 1, "Stat": "Maximum"}} for name in ["QueuedJobs", "RunningJobs"]]
        answer = cloudwatch.get_metric_data(MetricDataQueries=queries, StartTime=now - datetime.timedelta(seconds=3 * PERIOD),
                                            EndTime=now + datetime.timedelta(seconds=1), ScanBy="TimestampDescending")
        latest = {}
        for result in answer["MetricDataResults"]:
            if result["Values"]:
                latest[result["Id"]] = (result["Values"][0], result["Timestamps"][0])
        return latest

    def event(self, t, text):
        with self.lock:
            self.events.append((round(t, 2), text))
        print(f"{t:7.1f}s  {text}", flush=True)

    # --- the autoscaler

    def autoscale(self, stop):
        below = 0
        killed = set()
        # A few seconds into each burst, so the lost instance is likely to hold a job.
        kill_at = [round(self.args.duration * f) + 4 for f in (0.2, 0.55)]
        while not stop.is_set():
            time.sleep(PERIOD)
            t = time.time() - self.started
            latest = self.read_metric()
            if "queuedjobs" not in latest or "runningjobs" not in latest:
                self.sample(t, None)
                continue
            queued, running = latest["queuedjobs"][0], latest["runningjobs"][0]
            live = self.in_service()
            metric = backlog_per_instance(queued, running, len(live))
            self.sample(t, metric, queued, running)
            # Target tracking: capacity in proportion to metric ÷ target, out at once, in slowly.
            desired = min(MAX_INSTANCES, max(1, math.ceil(len(live) * metric / self.target)))
            if desired > len(live):
                below = 0
                for _ in range(desired - len(live)):
                    number = len(self.instances) + 1
                    self.instances.append(Instance(self, self.instance_ids.pop(0), number))
                self.event(t, f"scale out {len(live)} → {desired} (backlog/instance {metric:.1f})")
            elif metric < 0.9 * self.target and len(live) > 1:
                below += 1
                if below >= SCALE_IN_PERIODS:
                    below = 0
                    victim = live[-1]
                    self.event(t, f"scale in {len(live)} → {len(live) - 1}: draining instance {victim.number}")
                    threading.Thread(target=self.drain, args=(victim,), daemon=True).start()
            else:
                below = 0
            for at in kill_at:
                if t >= at and at not in killed and len(self.in_service()) > 1:
                    killed.add(at)
                    victim = self.in_service()[0]
                    victim.kill()
                    self.event(t, f"SIGKILL instance {victim.number} (lost)")

    def drain(self, instance):
        code, worker_code, seconds = instance.drain()
        self.event(time.time() - self.started,
                   f"instance {instance.number} drained in {seconds:.1f}s (watch {code}, worker {worker_code})")
        if code != 0 or worker_code != 0:
            self.failures.append(f"instance {instance.number}: watch {code}, worker {worker_code}")

    def sample(self, t, metric, queued=None, running=None):
        db = sqlite3.connect(self.stack.data / "gallery.sqlite3")
        states = dict(db.execute("select status, count(*) from jobs group by status").fetchall())
        db.close()
        with self.lock:
            self.samples.append({"t": round(t, 2), "metric": metric, "published_queued": queued,
                                 "published_running": running, "queued": states.get("queued", 0),
                                 "running": states.get("running", 0), "instances": len(self.in_service()),
                                 "uploads": self.uploads})

    # --- run, settle, check

    def run(self):
        self.failures = []
        self.start()
        stop = threading.Event()
        threads = [threading.Thread(target=self.upload_stream, args=(stop,), daemon=True),
                   threading.Thread(target=self.autoscale, args=(stop,), daemon=True)]
        for thread in threads:
            thread.start()
        time.sleep(self.args.duration)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        self.event(time.time() - self.started, "uploads stopped; waiting for the backlog to drain")
        # Keep the group's minimum running until every job is done.
        settle_deadline = time.time() + self.args.settle
        while time.time() < settle_deadline:
            db = sqlite3.connect(self.stack.data / "gallery.sqlite3")
            left = db.execute("select count(*) from jobs where status in ('queued', 'running')").fetchone()[0]
            db.close()
            self.sample(time.time() - self.started, None)
            if left == 0:
                break
            if not self.in_service():
                self.instances.append(Instance(self, self.instance_ids.pop(0), len(self.instances) + 1))
            time.sleep(1)
        return self.finish()

    def finish(self):
        for instance in self.in_service():
            instance.drain()
        self.publisher.send_signal(signal.SIGTERM)
        self.publisher.wait(timeout=10)
        db = sqlite3.connect(self.stack.data / "gallery.sqlite3")
        images = dict(db.execute("select status, count(*) from images group by status").fetchall())
        jobs = dict(db.execute("select status, count(*) from jobs group by status").fetchall())
        attempts = dict(db.execute("select attempts, count(*) from jobs group by attempts").fetchall())
        latencies = [row for row in db.execute(
            "select (j.updated_at - j.created_at), j.updated_at from jobs j where j.status = 'done'")]
        first_created = db.execute("select min(created_at) from jobs").fetchone()[0]
        # The thumbnail the record names (its key carries the claim that made it).
        missing = [row[0] for row in db.execute("select id, thumb_key from images where status = 'ready'")
                   if not row[1] or not (self.stack.data / "blobs" / row[1]).is_file()]
        db.close()
        calls = self.moto.lifecycle_calls()
        codes = self.stack.stop()
        self.moto.stop()
        return {"images": images, "jobs": jobs, "attempts": attempts, "latencies": latencies,
                "first_created": first_created, "missing_thumbnails": missing, "uploads": self.uploads,
                "completions": sum(1 for c in calls if c["action"] == "CompleteLifecycleAction"),
                "heartbeats": sum(1 for c in calls if c["action"] == "RecordLifecycleActionHeartbeat"),
                "codes": codes}


def latency_unit(values):
    """Milliseconds (the job table's unit) to seconds."""
    return [v / 1000 for v in values]


def report(sim, result, out: Path):
    target = sim.target
    ticks = [s for s in sim.samples if s["metric"] is not None]
    # The band: at or under 1.5 × target, or at the group's maximum (nothing more to add).
    in_band = [s for s in ticks if s["metric"] <= 1.5 * target or s["instances"] >= MAX_INSTANCES]
    lat = sorted(latency_unit([l for l, _ in result["latencies"]]))
    def pct(p):
        return lat[min(len(lat) - 1, int(p * len(lat)))] if lat else float("nan")
    summary = {
        "duration_s": sim.args.duration, "period_s": PERIOD, "target_backlog_per_instance": target,
        "uploads": result["uploads"], "images": result["images"], "jobs": result["jobs"], "attempts": result["attempts"],
        "ready_without_thumbnail": len(result["missing_thumbnails"]),
        "lifecycle_completions": result["completions"], "lifecycle_heartbeats": result["heartbeats"],
        "ticks": len(ticks), "ticks_in_band": len(in_band),
        "max_backlog_per_instance": max((s["metric"] for s in ticks), default=None),
        "upload_to_ready_p50_s": round(pct(0.5), 2), "upload_to_ready_p99_s": round(pct(0.99), 2),
        "events": sim.events, "failures": sim.failures,
        "load_average_before": sim.load_before, "cores": os.cpu_count(),
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "simulation.json").write_text(json.dumps({"summary": summary, "samples": sim.samples}, indent=1))
    plot(sim, result, out / "autoscale.png")
    return summary


def plot(sim, result, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    ticks = [s for s in sim.samples if s["metric"] is not None]
    fig, axes = plt.subplots(3, 1, figsize=(10, 8), sharex=True)
    axes[0].plot([s["t"] for s in ticks], [s["metric"] for s in ticks], label="backlog per instance (published)")
    axes[0].axhline(sim.target, color="green", linestyle="--", label=f"target {sim.target:g}")
    axes[0].axhspan(0, 1.5 * sim.target, color="green", alpha=0.08, label="band (≤ 1.5 × target)")
    axes[0].set_ylabel("jobs / instance")
    axes[0].legend(loc="upper right", fontsize=8)
    axes[1].step([s["t"] for s in sim.samples], [s["instances"] for s in sim.samples], where="post", label="in-service instances")
    axes[1].plot([s["t"] for s in sim.samples], [s["queued"] for s in sim.samples], alpha=0.5, label="queued jobs (SQLite)")
    for t, text in sim.events:
        if text.startswith("SIGKILL"):
            axes[1].axvline(t, color="red", linestyle=":")
        elif text.startswith("scale in"):
            axes[1].axvline(t, color="orange", linestyle=":")
    axes[1].set_ylabel("count")
    axes[1].legend(loc="upper right", fontsize=8)
    done = [((finished - sim.started_ms) / 1000, latency / 1000) for latency, finished in result["latencies"]]
    axes[2].scatter([d[0] for d in done], [d[1] for d in done], s=6)
    axes[2].set_ylabel("upload → ready (s)")
    axes[2].set_title("each point: one job, at the time it was done (outliers: jobs of a SIGKILLed worker, back after the lease)",
                      fontsize=8)
    axes[2].set_xlabel("seconds since start (red: SIGKILL, orange: scale-in drain)")
    fig.suptitle(f"Worker group simulation: period {PERIOD:g} s, target {sim.target:g}, "
                 f"{os.cpu_count()} shared cores, load before {sim.load_before}")
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=120, help="seconds of upload stream")
    parser.add_argument("--settle", type=float, default=120, help="seconds allowed to drain the backlog afterwards")
    parser.add_argument("--rate", type=float, default=1.5, help="steady uploads per second")
    parser.add_argument("--burst", type=int, default=40, help="uploads in each of the two bursts")
    parser.add_argument("--out", default=str(REPO / "bench" / "autoscale"))
    parser.add_argument("--work", default=None)
    parser.add_argument("--band-is-a-figure", action="store_true",
                        help="report the share of periods in the band without failing on it (how closely a loaded "
                             "machine follows the target is a measurement, not a correctness check)")
    args = parser.parse_args()
    random.seed(16)
    sim = Simulation(args)
    sim.load_before = open("/proc/loadavg").read().split()[0]
    result = sim.run()
    summary = report(sim, result, Path(args.out))
    print(json.dumps({k: v for k, v in summary.items() if k != "events"}, indent=1))
    problems = list(summary["failures"])
    if set(result["images"]) != {"ready"}:
        problems.append(f"images not all ready: {result['images']}")
    if set(result["jobs"]) != {"done"}:
        problems.append(f"jobs not all done: {result['jobs']}")
    if result["missing_thumbnails"]:
        problems.append(f"ready without a thumbnail: {result['missing_thumbnails'][:5]}")
    if result["images"].get("ready", 0) != result["uploads"]:
        problems.append(f"{result['uploads']} uploads but {result['images']} images")
    print(f"backlog within the band in {summary['ticks_in_band']} of {summary['ticks']} periods")
    if summary["ticks"] == 0 or (not args.band_is_a_figure and summary["ticks_in_band"] < 0.8 * summary["ticks"]):
        problems.append(f"backlog outside the band in {summary['ticks'] - summary['ticks_in_band']} of {summary['ticks']} periods")
    if summary["lifecycle_completions"] < 1:
        problems.append("no scale-in went through the lifecycle path")
    for problem in problems:
        print("PROBLEM:", problem, file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
