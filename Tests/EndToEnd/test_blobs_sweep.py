"""`gallery blobs sweep` on a running stack, on both backends: orphans (blobs without an image
record, as a failed metadata write leaves them) go; real images' blobs, young orphans and keys
of other shapes stay."""
import os
import time

import pytest
import requests

from conftest import TESTDATA, register_and_login
from test_browser_flow import upload, wait_ready

PHOTOS = [TESTDATA / "photos" / "albums" / "nature" / "prairie_falcon.jpg",
          TESTDATA / "photos" / "formats" / "density_plot.png"]
GHOST = "0190a1b2c3d4" + "e5f6a7b8c9d0e1f2" + "a3b4"  # an image id no record has


def orphans_of(ghost):
    return {f"originals/{ghost[:2]}/{ghost}.jpg", f"thumbs/{ghost}.webp", f"previews/{ghost}.webp",
            f"stripped/{ghost}"}


def sweep(stack, *args):
    r = stack.gallery("blobs", "sweep", *args)
    assert r.returncode == 0, r.stdout + r.stderr
    return r


def test_sweep_deletes_orphans_and_nothing_else(stack):
    b = register_and_login(stack, "sweeper")
    assert upload(b, PHOTOS).status_code == 303
    ids = wait_ready(b, len(PHOTOS))
    real = stack.blob_keys()
    # Original, thumbnail and preview each; the falcon's EXIF has a GPS block, so also the
    # copy others download without it.
    assert len(real) == 3 * len(PHOTOS) + 1, real
    assert sum(key.startswith("stripped/") for key in real) == 1, real

    orphans = orphans_of(GHOST)
    for key in orphans:
        stack.put_blob(key, b"left behind by a failed metadata write")
    stranger = "originals/notes.txt"  # no image's key shape: reported, never deleted
    stack.put_blob(stranger, b"kept")

    # Young orphans are left alone by default: an upload in progress looks the same.
    r = sweep(stack)
    assert r.stdout == "" and "0 orphaned blob(s) deleted" in r.stderr, r.stderr
    assert stack.blob_keys() == real | orphans | {stranger}

    r = sweep(stack, "--older-than", "0", "--dry-run")
    assert sorted(line.split()[2] for line in r.stdout.splitlines()) == sorted(orphans), r.stdout
    assert all(line.startswith("would delete ") for line in r.stdout.splitlines())
    assert "4 orphaned blob(s) would be deleted (dry run)" in r.stderr
    assert f"kept {stranger}" in r.stderr
    assert stack.blob_keys() == real | orphans | {stranger}, "a dry run deletes nothing"

    r = sweep(stack, "--older-than", "0")
    assert sorted(line.split()[1] for line in r.stdout.splitlines()) == sorted(orphans), r.stdout
    assert "4 orphaned blob(s) deleted" in r.stderr, r.stderr
    assert stack.blob_keys() == real | {stranger}

    # The real images are whole: their pages, thumbnails and originals still load.
    for image_id in ids:
        thumb = b.page(f"/media/{image_id}/thumb.webp")
        if stack.backend == "aws":
            assert thumb.status_code == 302
            thumb = requests.get(thumb.headers["Location"])
        assert thumb.status_code == 200 and thumb.content[8:12] == b"WEBP"
    assert sweep(stack, "--older-than", "0").stdout == "", "nothing left to sweep"


def test_sweep_age_threshold_on_files(stack):
    """Only the file store lets a test date a blob back; S3 sets LastModified itself."""
    if stack.backend != "embedded":
        pytest.skip("S3 sets LastModified itself: the age threshold is checked on the file store")
    old, young = "1" * 32, "2" * 32
    for key in orphans_of(old) | orphans_of(young):
        stack.put_blob(key, b"x")
    two_hours_ago = time.time() - 7200
    for key in orphans_of(old):
        os.utime(stack.data / "blobs" / key, (two_hours_ago, two_hours_ago))
    # What interrupted writes leave: the file store's temporary names and the responder's
    # upload files. Old ones go, young ones (a write may be in progress) stay.
    interrupted = stack.data / "blobs" / "originals" / "11" / ".tmp-3F2504E0-killed"
    writing = stack.data / "blobs" / "originals" / "22" / ".tmp-3F2504E1-writing"
    killed_upload = stack.data / "tmp" / "upload-Ab12Cd"
    receiving = stack.data / "tmp" / "upload-Ef34Gh"
    for partial in (interrupted, writing, killed_upload, receiving):
        partial.parent.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(b"half")
    for partial in (interrupted, killed_upload):
        os.utime(partial, (two_hours_ago, two_hours_ago))

    r = sweep(stack)
    deleted = sorted(line.split()[1] for line in r.stdout.splitlines())
    assert deleted == sorted(orphans_of(old) | {"originals/11/.tmp-3F2504E0-killed", "upload-Ab12Cd"}), r.stdout
    assert orphans_of(young) <= stack.blob_keys()
    assert not orphans_of(old) & stack.blob_keys()
    assert not interrupted.exists() and not killed_upload.exists()
    assert writing.exists() and receiving.exists(), "young partial writes are left alone"
    sweep(stack, "--older-than", "0")
    assert not orphans_of(young) & stack.blob_keys()
    assert not writing.exists() and not receiving.exists()


def test_sweep_refuses_bad_arguments(stack):
    r = stack.gallery("blobs", "sweep", "--older-than", "-5")
    assert r.returncode != 0 and "--older-than" in r.stderr
