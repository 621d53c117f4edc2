"""Where a photo was taken belongs to its owner, through nginx on both backends: others see
the position only if the owner shares it, and the original they download has its GPS removed
unless the owner allows it. Checked with Pillow, an EXIF reader that is not ours."""
import hashlib
import io
import re

from PIL import Image, ImageChops

from conftest import TESTDATA, Browser, register_and_login
from test_catalog_flow import fetch, gallery_ids, upload, wait_ready

LOCATED = TESTDATA / "photos/metadata/gps-position/thompson-springs.jpg"
PHONE = TESTDATA / "photos/metadata/gps-position/empty_gps.jpg"
GPS_IFD = 0x8825


def exif(data: bytes):
    image = Image.open(io.BytesIO(data))
    return image, image.getexif()


def choose(owner, share: bool, strip: bool):
    form = {"displayName": "Owner", "positionChoices": "1"}
    if share:
        form["sharePosition"] = "1"
    if strip:
        form["stripPositionForOthers"] = "1"
    r = owner.submit("/profile", "/profile", form)
    assert r.status_code == 303, r.text


def test_positions_are_the_owners(stack):
    owner = register_and_login(stack, "geo")
    assert upload(owner, [LOCATED]).status_code == 303
    wait_ready(owner)
    (image_id,) = gallery_ids(owner)
    original = LOCATED.read_bytes()
    visitor = Browser(stack.base)

    # The owner sees the position and downloads the file as uploaded.
    assert "39.11500, -108.40097" in owner.page(f"/images/{image_id}").text
    mine = fetch(owner, f"/media/{image_id}/original")
    assert mine.status_code == 200 and hashlib.sha256(mine.content).digest() == hashlib.sha256(original).digest()

    # Others, by default: no position on the page, and an original without GPS.
    page = visitor.page(f"/images/{image_id}").text
    assert "39.115" not in page and "Download original (without its position)" in page
    theirs = fetch(visitor, f"/media/{image_id}/original")
    assert theirs.status_code == 200
    assert theirs.headers["Content-Type"] == "image/jpeg"
    assert len(theirs.content) == len(original)
    stripped, tags = exif(theirs.content)
    assert len(tags.get_ifd(GPS_IFD)) == 0 and GPS_IFD not in tags
    assert len(exif(original)[1].get_ifd(GPS_IFD)) == 16
    # Same pixels: only metadata changed.
    assert ImageChops.difference(stripped.convert("RGB"), Image.open(LOCATED).convert("RGB")).getbbox() is None
    assert any(key.startswith(f"stripped/{image_id}-v") for key in stack.blob_keys()), "the copy, under its claim's key"

    # Shared: visitors see it, with a map link; the download stays stripped.
    choose(owner, share=True, strip=True)
    page = visitor.page(f"/images/{image_id}").text
    assert "39.11500, -108.40097" in page and "openstreetmap.org/?mlat=39.11500" in page
    assert len(exif(fetch(visitor, f"/media/{image_id}/original").content)[1].get_ifd(GPS_IFD)) == 0

    # Not stripped: others get the file as uploaded.
    choose(owner, share=False, strip=False)
    assert "39.115" not in visitor.page(f"/images/{image_id}").text
    assert fetch(visitor, f"/media/{image_id}/original").content == original

    # Deleting the photo removes the copy too.
    r = owner.submit(f"/images/{image_id}/delete", f"/images/{image_id}", {})
    assert r.status_code == 303
    assert not any(image_id in key for key in stack.blob_keys())


def test_camera_facts_survive_in_the_copy(stack):
    owner = register_and_login(stack, "phone")
    assert upload(owner, [PHONE]).status_code == 303
    wait_ready(owner, timeout=120)
    (image_id,) = gallery_ids(owner)
    copy = fetch(Browser(stack.base), f"/media/{image_id}/original")
    assert copy.status_code == 200
    _, tags = exif(copy.content)
    _, before = exif(PHONE.read_bytes())
    assert tags.get(0x010F) == "motorola" and tags.get(0x0110) == "moto g(9) plus"
    assert tags.get_ifd(0x8769) == before.get_ifd(0x8769), "the Exif sub-IFD (exposure, ISO …) is unchanged"
    assert GPS_IFD in before and GPS_IFD not in tags
    assert re.search(r"moto g\(9\) plus", Browser(stack.base).page(f"/images/{image_id}").text)
