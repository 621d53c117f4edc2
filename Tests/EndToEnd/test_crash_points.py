"""A kill -9 at each write of the upload and job paths, on both backends: crash points armed by
name (`GALLERY_CRASH_AT`, compiled into debug builds only; see Sources/GalleryCore/CrashPoint.swift)
make the program SIGKILL itself at exactly that instant. Afterwards — programs started again,
`gallery repair` and `gallery blobs sweep` run as an operator would — every photo is either
whole and ready or absent, with no leftover blob, job or temporary file.

Batches: each photo of an upload is stored on its own (`upload.photo-stored`: a crash after the
first photo of two keeps the first, whole, and nothing of the second)."""
import time

import pytest

from conftest import register_and_login
from test_browser_flow import PHOTOS, upload

POINTS = {
    # point: (the program that dies, photos expected to survive of the two uploaded)
    "upload.original-stored": ("fcgi", 0),
    "upload.photo-stored": ("fcgi", 1),
    "blob.before-rename": ("fcgi", 0),
    "worker.derivatives-stored": ("worker", 2),
    "worker.image-ready": ("worker", 2),
}


def wait_for(condition, timeout=60, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def owned(stack, ids_before):
    return {i: v for i, v in stack.image_statuses().items() if i not in ids_before}


@pytest.mark.parametrize("point", list(POINTS))
def test_a_kill_at_each_write_leaves_the_whole_photo_or_nothing(stack, point):
    victim, survivors = POINTS[point]
    if point == "blob.before-rename" and stack.backend == "aws":
        pytest.skip("S3 has no temporary files: an interrupted PUT stores nothing")
    # Account first (sign-up mail is a file write too), then the armed programs.
    browser = register_and_login(stack, "k" + str(abs(hash(point)) % 10**8))
    before = set(stack.image_ids())
    # Short leases, so that another worker takes over a killed one's job quickly.
    stack.restart_programs({"GALLERY_CRASH_AT": point, "GALLERY_LEASE_SECONDS": "2"})
    response = upload(browser, PHOTOS[:2])
    if victim == "fcgi":
        assert response.status_code in (502, 503), "nginx answers for the responder that died mid-request"
    else:
        assert response.status_code == 303
    wait_for(lambda: stack.procs[victim].poll() is not None, what=f"{victim} to reach {point}")
    assert "crash point " + point in stack.log(victim)

    stack.restart_programs({"GALLERY_LEASE_SECONDS": "2"})
    assert stack.gallery("repair", "--grace", "0").returncode == 0
    wait_for(lambda: all(status != "processing" for status, _ in owned(stack, before).values()) and not stack.live_jobs(),
             what="every photo to settle")
    sweep = stack.gallery("blobs", "sweep", "--older-than", "0")
    assert sweep.returncode == 0, sweep.stderr

    photos = owned(stack, before)
    assert len(photos) == survivors, photos
    named = set()
    for image_id, (status, keys) in photos.items():
        assert status == "ready", (image_id, status)
        named |= keys
    everything_named = set().union(*(keys for _, keys in stack.image_statuses().values()))
    blobs = stack.blob_keys()
    assert named <= blobs, f"a surviving photo misses blobs: {named - blobs}"
    assert blobs <= everything_named, f"leftover blobs: {blobs - everything_named}"
    assert not stack.live_jobs()
    leftovers = [p for p in (stack.data / "tmp").glob("upload-*")]
    partial = [p for p in (stack.data / "blobs").rglob(".tmp-*")]
    assert leftovers == [] and partial == [], (leftovers, partial)
