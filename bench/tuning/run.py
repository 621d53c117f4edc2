#!/usr/bin/env python3
"""Tuning curves for the README (bench/tuning/README.md): what a responder thread, an nginx
worker process, a worker process and a job slot buy, measured on this machine.

  1. feed pages rendered on every request (a session cookie bypasses the microcache) and
     uploads (one photo per request, signed in): requests/s and p99 against GALLERY_THREADS
     (1 2 4 8 16) and nginx worker processes (1 2);
  2. thumbnails/s and upload → ready p50/p99 for a batch of uploads against worker processes
     (1 2 4) × GALLERY_WORKER_JOBS (1 2).

Real parts: nginx, gallery-fcgi, gallery-worker (embedded backend) from --bin (use a release
build: swift build -c release). The load generators (wrk for pages, a Python thread pool for
uploads) run on the same cores as the servers, so absolute numbers are this machine's; the
curves' shapes are what to read.

usage: bench/tuning/run.py --bin .build/release [--seconds 5] [--batch 60] [--out bench/tuning]
"""
import argparse
import concurrent.futures
import io
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "Tests" / "EndToEnd"))
from conftest import TESTDATA, Stack, register_and_login  # noqa: E402


def distinct_photos(count, seed):
    """The nature photos re-encoded with a mark of their own (the gallery stores a photo once)."""
    from PIL import Image
    sources = [Image.open(p).convert("RGB") for p in sorted((TESTDATA / "photos" / "albums" / "nature").glob("*.jpg"))]
    out = []
    for i in range(count):
        image = sources[i % len(sources)].copy()
        # i and seed in binary as 8×8 black and white squares: survives JPEG quantization.
        for bit in range(16):
            for row, value in ((0, i), (1, seed)):
                shade = 255 if (value >> bit) & 1 else 0
                image.paste((shade, shade, shade), (bit * 8, row * 8, bit * 8 + 8, row * 8 + 8))
        data = io.BytesIO()
        image.save(data, "JPEG", quality=88)
        out.append((f"t{seed}-{i}.jpg", data.getvalue()))
    return out


def site(work, bin_dir, threads, nginx_workers, worker=True):
    os.environ["GALLERY_BIN"] = str(bin_dir)
    stack = Stack(work, extra_env={"GALLERY_THREADS": str(threads), "NGINX_WORKERS": str(nginx_workers),
                                   "GALLERY_LOG_LEVEL": "warning", "NGINX_ACCESS_LOG": "off"})
    stack.start()
    if not worker:
        stack.procs["worker"].send_signal(signal.SIGTERM)
        stack.procs["worker"].wait(timeout=60)
    return stack


def wrk(url, seconds, connections, *headers):
    args = ["wrk", "-t2", f"-c{connections}", f"-d{max(1, int(seconds))}s", "--latency"]
    for h in headers:
        args += ["-H", h]
    out = subprocess.run(args + [url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    scale = {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    return rate, float(p99.group(1)) * scale


def upload_rate(stack, browser, photos, seconds, concurrency):
    """Signed-in uploads of one photo each from `concurrency` threads for `seconds`."""
    cookies = browser.cookies.get_dict()
    import requests
    deadline = time.time() + seconds
    latencies = []
    def one(photo):
        s = requests.Session()
        s.cookies.update(cookies)
        page = s.get(stack.base + "/upload").text
        token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        started = time.time()
        r = s.post(stack.base + "/upload", data={"csrf": token, "visibility": "private"},
                   files=[("photos", (photo[0], photo[1], "image/jpeg"))], allow_redirects=False)
        assert r.status_code == 303, (r.status_code, re.findall(r"<p[^>]*>(.*?)</p>", r.text)[:3])
        return time.time() - started
    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        pending = set()
        start = time.time()
        while time.time() < deadline and photos:
            while len(pending) < concurrency and photos:
                pending.add(pool.submit(one, photos.pop()))
            done, pending = concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)
            latencies += [f.result() for f in done]
        elapsed = time.time() - start
        latencies += [f.result() for f in concurrent.futures.as_completed(pending)]
    latencies.sort()
    return len(latencies) / elapsed, latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] * 1000


def web_curve(args, work):
    rows = []
    for nginx_workers in (1, 2):
        for threads in (1, 2, 4, 8, 16):
            stack = site(work / f"web-{nginx_workers}-{threads}", args.bin, threads, nginx_workers, worker=True)
            try:
                browser = register_and_login(stack, "tuner")
                # A full public feed page (24 tiles, as in scripts/bench-feed), then no worker
                # competing for the cores while measuring.
                seed = distinct_photos(24, 1000 + threads * 10 + nginx_workers)
                for start in range(0, 24, 8):
                    r = browser.submit("/upload", "/upload", {"visibility": "public"},
                                       files=[("photos", (n, d, "image/jpeg")) for n, d in seed[start:start + 8]])
                    assert r.status_code == 303
                deadline = time.time() + 120
                while browser.get(stack.base + "/").text.count("/thumb.webp") < 24:
                    assert time.time() < deadline, "feed not ready"
                    time.sleep(0.3)
                stack.procs["worker"].send_signal(signal.SIGTERM)
                stack.procs["worker"].wait(timeout=60)
                url = stack.base + "/"
                wrk(url, 1, 4, "Cookie: session=bypasses-the-microcache")  # warm up
                feed_rate, feed_p99 = wrk(url, args.seconds, 32, "Cookie: session=bypasses-the-microcache")
                photos = distinct_photos(int(args.seconds * 60) + 50, threads * 10 + nginx_workers)
                up_rate, up_p99 = upload_rate(stack, browser, photos, args.seconds, 8)
            finally:
                stack.stop()
            row = {"nginx_workers": nginx_workers, "threads": threads, "feed_rps": round(feed_rate, 1),
                   "feed_p99_ms": round(feed_p99, 1), "upload_rps": round(up_rate, 1), "upload_p99_ms": round(up_p99, 1),
                   "load": open("/proc/loadavg").read().split()[0]}
            print(json.dumps(row), flush=True)
            rows.append(row)
    return rows


def worker_curve(args, work):
    rows = []
    for processes in (1, 2, 4):
        for jobs in (1, 2):
            stack = site(work / f"workers-{processes}-{jobs}", args.bin, 4, 1, worker=False)
            try:
                browser = register_and_login(stack, "tuner")
                photos = distinct_photos(args.batch, processes * 10 + jobs)
                for start in range(0, len(photos), 10):
                    files = [("photos", p) for p in [(n, d, "image/jpeg") for n, d in photos[start:start + 10]]]
                    r = browser.submit("/upload", "/upload", {"visibility": "private"}, files=files)
                    assert r.status_code == 303
                env = {**stack.env, "GALLERY_WORKER_JOBS": str(jobs)}
                started = time.time()
                workers = [subprocess.Popen([str(stack.bin / "gallery-worker")], env=env, stdout=subprocess.DEVNULL,
                                            stderr=subprocess.DEVNULL) for _ in range(processes)]
                db = sqlite3.connect(stack.data / "gallery.sqlite3")
                while db.execute("select count(*) from jobs where status != 'done'").fetchone()[0] > 0:
                    assert time.time() - started < 600, "batch did not finish"
                    time.sleep(0.05)
                elapsed = time.time() - started
                # Upload → ready from the moment the workers start (the batch waited for them).
                waits = sorted(u / 1000 - started for (u,) in db.execute("select updated_at from jobs"))
                db.close()
                for w in workers:
                    w.send_signal(signal.SIGTERM)
                for w in workers:
                    w.wait(timeout=60)
            finally:
                stack.stop()
            row = {"processes": processes, "jobs": jobs, "thumbnails_per_s": round(args.batch / elapsed, 2),
                   "ready_p50_s": round(waits[len(waits) // 2], 2), "ready_p99_s": round(waits[int(0.99 * (len(waits) - 1))], 2),
                   "load": open("/proc/loadavg").read().split()[0]}
            print(json.dumps(row), flush=True)
            rows.append(row)
    return rows


def plot(web, workers, path, note):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(2, 2, figsize=(11, 7))
    for n in (1, 2):
        rows = [r for r in web if r["nginx_workers"] == n]
        t = [r["threads"] for r in rows]
        axes[0][0].plot(t, [r["feed_rps"] for r in rows], marker="o", label=f"feed, {n} nginx worker(s)")
        axes[0][0].plot(t, [r["upload_rps"] for r in rows], marker="s", linestyle="--", label=f"upload, {n} nginx worker(s)")
        axes[0][1].plot(t, [r["feed_p99_ms"] for r in rows], marker="o", label=f"feed, {n}")
        axes[0][1].plot(t, [r["upload_p99_ms"] for r in rows], marker="s", linestyle="--", label=f"upload, {n}")
    for ax, label in ((axes[0][0], "requests/s"), (axes[0][1], "p99 (ms)")):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("GALLERY_THREADS")
        ax.set_ylabel(label)
        ax.legend(fontsize=7)
    for jobs in (1, 2):
        rows = [r for r in workers if r["jobs"] == jobs]
        p = [r["processes"] for r in rows]
        axes[1][0].plot(p, [r["thumbnails_per_s"] for r in rows], marker="o", label=f"GALLERY_WORKER_JOBS={jobs}")
        axes[1][1].plot(p, [r["ready_p50_s"] for r in rows], marker="o", label=f"p50, jobs={jobs}")
        axes[1][1].plot(p, [r["ready_p99_s"] for r in rows], marker="s", linestyle="--", label=f"p99, jobs={jobs}")
    axes[1][0].set_ylabel("thumbnails/s")
    axes[1][1].set_ylabel("upload → ready (s)")
    for ax in axes[1]:
        ax.set_xlabel("worker processes")
        ax.legend(fontsize=7)
    fig.suptitle(note, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True, type=Path)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--batch", type=int, default=60)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "tuning")
    parser.add_argument("--work", type=Path, default=REPO / ".build-bench" / f"tuning-{int(time.time())}")
    args = parser.parse_args()
    load = open("/proc/loadavg").read().split()[0]
    web = web_curve(args, args.work)
    workers = worker_curve(args, args.work)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    note = (f"commit {commit}, {os.cpu_count()} shared cores, load average {load} at the start, "
            f"{args.seconds:g} s per web point, batches of {args.batch} small photos; generators on the same cores")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "tuning.json").write_text(json.dumps({"note": note, "web": web, "workers": workers}, indent=1))
    plot(web, workers, args.out / "tuning.png", note)
    print(note)


if __name__ == "__main__":
    main()
