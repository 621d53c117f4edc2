"""What users were promised beyond the basics, through nginx on both backends: details and
tags, search, albums, share links, encrypted uploads (opened by Python's Fernet), duplicates,
avatars and account removal."""
import re
import time

import requests
from cryptography.fernet import Fernet

from conftest import TESTDATA, Browser, register_and_login

ORIENT = TESTDATA / "orientation"
ID_RE = re.compile(r"/images/([0-9a-f]{32})")


def upload(b, paths, **fields):
    data = {"visibility": "public"}
    data.update(fields)
    return b.submit("/upload", "/upload", data,
                    files=[("photos", (p.name, p.read_bytes(), "image/jpeg")) for p in paths])


def gallery_ids(b):
    return list(dict.fromkeys(ID_RE.findall(b.page("/gallery").text)))


def wait_ready(b, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if "Processing" not in b.page("/gallery").text:
            return
        time.sleep(0.3)
    raise AssertionError("not ready")


def fetch(b, path):
    """GET as a browser: follows the redirect to S3 on the AWS backend."""
    r = b.get(b.base + path)
    return r


def test_details_tags_search_albums_and_share_links(stack):
    alice = register_and_login(stack, "alice6")
    assert upload(alice, [ORIENT / "Landscape_1.jpg", ORIENT / "Portrait_1.jpg"]).status_code == 303
    wait_ready(alice)
    land, portrait = sorted(gallery_ids(alice))
    r = alice.submit(f"/images/{land}/edit", f"/images/{land}",
                     {"title": "Quay <at> dusk", "description": "Boats & ropes", "tags": "harbour, Boats",
                      "visibility": "public"})
    assert r.status_code == 303
    page = alice.page(f"/images/{land}").text
    assert "Quay &lt;at&gt; dusk" in page and 'href="/tags/harbour"' in page

    visitor = Browser(stack.base)
    assert land in visitor.page("/tags/boats").text
    assert land in visitor.page("/search?q=quay").text
    assert portrait not in visitor.page("/search?q=quay").text

    # An album, public, with one photo; a private photo stays out of visitors' view.
    r = alice.submit("/albums", "/albums", {"title": "Harbour", "visibility": "public"})
    album = r.headers["Location"].rsplit("/", 1)[1]
    alice.submit(f"/images/{portrait}/edit", f"/images/{portrait}", {"visibility": "private"})
    r = alice.submit("/gallery/bulk", "/gallery", {"action": "add", "album": album, "image": [land, portrait]})
    assert r.status_code == 303
    assert land in alice.page(f"/albums/{album}").text and portrait in alice.page(f"/albums/{album}").text
    shown = visitor.page(f"/albums/{album}").text
    assert land in shown and portrait not in shown
    assert visitor.page(f"/u/alice6").status_code == 200 and land in visitor.page("/u/alice6").text

    # A share link opens the private photo for anyone holding it, until revoked.
    alice.submit(f"/images/{portrait}/share", f"/images/{portrait}", {"action": "new"})
    link = re.search(r'href="(/s/[A-Za-z0-9_-]{32})"', alice.page(f"/images/{portrait}").text).group(1)
    assert visitor.page(link).status_code == 200
    assert fetch(visitor, link + "/preview.webp").headers["Content-Type"] == "image/webp"
    assert visitor.page(f"/images/{portrait}").status_code == 404
    alice.submit(f"/images/{portrait}/share", f"/images/{portrait}", {"action": "revoke"})
    assert visitor.page(link).status_code == 404


def test_encrypted_upload_opens_with_pythons_fernet(stack):
    alice = register_and_login(stack, "carol6")
    original = (ORIENT / "Landscape_3.jpg").read_bytes()
    r = upload(alice, [ORIENT / "Landscape_3.jpg"], encrypt="1")
    assert r.status_code == 200
    key = re.search(r"<code>([A-Za-z0-9_=-]{44})</code>", r.text).group(1)
    image = ID_RE.search(r.text).group(1)
    stored = fetch(alice, f"/media/{image}/original")
    assert stored.status_code == 200 and stored.content[:3] != original[:3]
    assert Fernet(key.encode()).decrypt(stored.content) == original
    wrong = alice.submit(f"/images/{image}/decrypt", f"/images/{image}", {"key": Fernet.generate_key().decode()})
    assert wrong.status_code == 400 and "does not open" in wrong.text
    right = alice.submit(f"/images/{image}/decrypt", f"/images/{image}", {"key": key})
    assert right.status_code == 200 and right.content == original
    assert "🔒" in alice.page("/gallery").text
    assert Browser(stack.base).page(f"/media/{image}/original").status_code == 404

    # The same bytes again are reported, not stored twice.
    again = upload(alice, [ORIENT / "Landscape_3.jpg"])
    assert again.status_code == 200 and f"/images/{image}" in again.text
    assert len(gallery_ids(alice)) == 1


def test_avatar_and_account_removal(stack):
    dave = register_and_login(stack, "dave6")
    r = dave.submit("/profile/avatar", "/profile", {},
                    files=[("photo", ("me.jpg", (ORIENT / "Portrait_6.jpg").read_bytes(), "image/jpeg"))])
    assert r.status_code == 303
    wait_ready(dave)
    avatar = fetch(Browser(stack.base), "/u/dave6/avatar.webp")
    assert avatar.status_code == 200 and avatar.content[8:12] == b"WEBP"

    assert upload(dave, [ORIENT / "Landscape_5.jpg"]).status_code == 303
    wait_ready(dave)
    ids = gallery_ids(dave)
    keys_before = {k for k in stack.blob_keys() if any(i in k for i in ids)}
    assert keys_before
    wrong = dave.submit("/account/delete", "/account/delete", {"password": "not it"})
    assert wrong.status_code == 403
    gone = dave.submit("/account/delete", "/account/delete", {"password": "correct horse battery"})
    assert gone.status_code == 200
    visitor = Browser(stack.base)
    for path in [f"/images/{ids[0]}", "/u/dave6", f"/media/{ids[0]}/original"]:
        assert visitor.page(path).status_code == 404, path
    r = visitor.submit("/login", "/login", {"username": "dave6", "password": "correct horse battery"})
    assert r.status_code == 401
    # The job deletes the bytes too.
    deadline = time.time() + 60
    while time.time() < deadline and {k for k in stack.blob_keys() if any(i in k for i in ids)}:
        time.sleep(0.5)
    assert not {k for k in stack.blob_keys() if any(i in k for i in ids)}
    assert not set(ids) & stack.image_ids()
