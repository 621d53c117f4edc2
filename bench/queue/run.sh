#!/usr/bin/env bash
# The queue benchmark of issue 4, on the embedded backend (not a timed test):
#  - upload-to-ready latency (p50, p99) with one idle worker, for small photos (the queue's
#    own overhead shows) and for 12–24 MP camera photos (decoding dominates);
#  - jobs per second with one and with two worker processes (one job slot each).
# Uploads go through the same seams as the web upload (blob, record, job) via the hidden
# `gallery-bench-queue` program (bench/queue/Sources); the photos come from ../shared/testdata.
#
# usage: bench/queue/run.sh            (env: COUNT_SMALL=40 COUNT_BIG=12 TESTDATA=…)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
SCRATCH=${SCRATCH:-$ROOT/.build-bench}
TESTDATA=${TESTDATA:-${GALLERY_TESTDATA:-$ROOT/../shared/testdata}}
COUNT_SMALL=${COUNT_SMALL:-40}
COUNT_BIG=${COUNT_BIG:-12}

echo "building (release)…" >&2
swift build -c release --scratch-path "$SCRATCH" --product gallery-worker >&2
swift build -c release --scratch-path "$SCRATCH" --product gallery >&2
swift build -c release --scratch-path "$SCRATCH" --product gallery-bench-queue >&2
BIN=$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)

WORK=$(mktemp -d /tmp/gallery-bench-queue.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

small=()
for f in "$TESTDATA"/photos/albums/nature/*.jpg; do small+=(--photo "$f"); done
big=()
for f in "$TESTDATA"/photos/albums/text/*.jpg; do big+=(--photo "$f"); done

# start_workers N DIR: N worker processes on a fresh data directory.
start_workers() {
    local n=$1 dir=$2
    PIDS=()
    for _ in $(seq "$n"); do
        GALLERY_DATA_DIR=$dir GALLERY_WORKER_JOBS=1 GALLERY_LOG_LEVEL=warning "$BIN/gallery-worker" 2>>"$dir/worker.log" &
        PIDS+=($!)
    done
    sleep 2   # let them go idle: polls back off to their 1 s ceiling
}

stop_workers() {
    for pid in "${PIDS[@]}"; do kill -TERM "$pid"; done
    for pid in "${PIDS[@]}"; do wait "$pid" || echo "worker $pid exited with $?" >&2; done
    PIDS=()
}

# run NAME WORKERS gallery-bench-queue-arguments…
run() {
    local name=$1 workers=$2; shift 2
    local dir="$WORK/$name-$workers"
    mkdir -p "$dir"
    # The database exists before the workers watch it.
    GALLERY_DATA_DIR=$dir "$BIN/gallery" jobs depth >/dev/null
    start_workers "$workers" "$dir"
    echo "== $name, $workers worker process$([ "$workers" = 1 ] || echo es) (load average before: $(cut -d' ' -f1-3 /proc/loadavg))"
    GALLERY_DATA_DIR=$dir GALLERY_LOG_LEVEL=warning "$BIN/gallery-bench-queue" "$@"
    stop_workers
}

echo "machine: $(nproc) cores, $(uname -sr)"
run latency-small 1 latency --count "$COUNT_SMALL" "${small[@]}"
run latency-camera 1 latency --count "$COUNT_BIG" "${big[@]}"
run throughput-small 1 throughput --count $((COUNT_SMALL * 2)) "${small[@]}"
run throughput-small 2 throughput --count $((COUNT_SMALL * 2)) "${small[@]}"
run throughput-camera 1 throughput --count "$COUNT_BIG" "${big[@]}"
run throughput-camera 2 throughput --count "$COUNT_BIG" "${big[@]}"
