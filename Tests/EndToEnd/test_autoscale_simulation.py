"""The scale-out simulation (bench/autoscale/simulate.py) at a small, bounded scale: every image
ready with its thumbnail, none stuck or dead, scale-in through the lifecycle path. The program
checks all of that itself and exits non-zero otherwise. How closely the backlog follows the
target depends on how loaded the machine is, so here it is a reported figure, not a failure
(the bench run behind the README's plot checks the 80 % band)."""
import os
import subprocess
import sys

from conftest import REPO, bin_dir


def test_the_worker_group_follows_the_backlog_and_loses_nothing(tmp_path):
    env = {**os.environ, "GALLERY_BIN": str(bin_dir())}
    run = subprocess.run([sys.executable, str(REPO / "bench" / "autoscale" / "simulate.py"), "--duration", "40",
                          "--settle", "90", "--burst", "30", "--band-is-a-figure", "--out", str(tmp_path / "out"), "--work", str(tmp_path / "work")],
                         env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    assert (tmp_path / "out" / "autoscale.png").stat().st_size > 10_000
