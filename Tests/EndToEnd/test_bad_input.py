"""Hostile and malformed requests through nginx: each gets a clear 4xx page, never a 500,
and leaves nothing behind."""
import requests

from conftest import TESTDATA, Browser, register_and_login

JPEG = TESTDATA / "orientation" / "Landscape_1.jpg"


def stored(stack):
    return len(stack.image_ids()), stack.job_count(), len(stack.blob_keys()), len(stack.temp_files())


def test_bad_uploads_are_refused_and_leave_nothing(stack):
    b = register_and_login(stack, "mallory")
    before = stored(stack)
    token = b.csrf("/upload")

    def post(files, data=None, **kw):
        return b.post(stack.base + "/upload", data=data if data is not None else {"csrf": token},
                      files=files, allow_redirects=False, **kw)

    cases = {
        "html named png": (post([("photos", ("cat.png", b"<html><script>alert(1)</script></html>", "image/png"))]), 422),
        "not an image": (post([("photos", ("x.jpg", b"\x00" * 1000, "image/jpeg"))]), 422),
        "truncated jpeg header": (post([("photos", ("t.jpg", JPEG.read_bytes()[:20], "image/jpeg"))]), 422),
        "missing csrf": (post([("photos", (JPEG.name, JPEG.read_bytes(), "image/jpeg"))], data={}), 403),
        "wrong csrf": (post([("photos", (JPEG.name, JPEG.read_bytes(), "image/jpeg"))], data={"csrf": "x" * 43}), 403),
        "not multipart": (b.post(stack.base + "/upload", data={"csrf": token}, allow_redirects=False), 400),
    }
    body = (f"--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{token}\r\n"
            f"--XyZ\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"a.jpg\"\r\n\r\n").encode() \
        + JPEG.read_bytes()[:5000]
    cases["truncated multipart"] = (b.post(stack.base + "/upload", data=body, allow_redirects=False,
                                           headers={"Content-Type": "multipart/form-data; boundary=XyZ"}), 400)
    cases["garbage boundary"] = (b.post(stack.base + "/upload", data=b"hello", allow_redirects=False,
                                        headers={"Content-Type": "multipart/form-data"}), 400)
    for name, (response, status) in cases.items():
        assert response.status_code == status, f"{name}: {response.status_code} {response.text[:300]}"
        assert "<h1>" in response.text or "error" in response.text, name
    assert stored(stack) == before


def test_too_large_upload_is_413_from_nginx(stack):
    b = register_and_login(stack, "bigfoot")
    token = b.csrf("/upload")
    huge = b"\xff\xd8\xff" + b"\0" * (129 * 1024 * 1024)
    r = b.post(stack.base + "/upload", data={"csrf": token}, files=[("photos", ("huge.jpg", huge, "image/jpeg"))],
               allow_redirects=False)
    assert r.status_code == 413
    assert "too large" in r.text


def test_forged_session_and_other_users_objects(stack):
    owner = register_and_login(stack, "olivia")
    r = owner.submit("/upload", "/upload", {"visibility": "private"},
                     files=[("photos", (JPEG.name, JPEG.read_bytes(), "image/jpeg"))])
    assert r.status_code == 303
    import re
    image_id = re.findall(r"/images/([0-9a-f]{32})", owner.page("/gallery").text)[0]

    forged = Browser(stack.base)
    forged.cookies.set("session", "A" * 43)
    r = forged.page("/gallery")
    assert r.status_code == 303 and r.headers["Location"].startswith("/login")

    other = register_and_login(stack, "oscar")
    for path in [f"/images/{image_id}", f"/media/{image_id}/original", f"/media/{image_id}/thumb.webp"]:
        assert other.page(path).status_code == 404, path
        assert Browser(stack.base).page(path).status_code == 404, path
    r = other.submit(f"/images/{image_id}/delete", "/gallery", {})
    assert r.status_code == 404
    assert owner.page(f"/images/{image_id}").status_code == 200


def test_security_headers_and_no_server_errors(stack):
    r = requests.get(stack.base + "/")
    csp = r.headers["Content-Security-Policy"]
    # Our own scripts only: no inline script, no eval, no other origin.
    assert "script-src 'self';" in csp and "unsafe" not in csp and "object-src 'none'" in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert "Set-Cookie" not in r.headers, "the public feed sets no cookie"
    for path in ["/images/zzz", "/media/" + "0" * 32 + "/original", "/nope", "/images/" + "a" * 32]:
        assert requests.get(stack.base + path).status_code == 404, path
    assert requests.request("PUT", stack.base + "/gallery").status_code == 405
    assert requests.get(stack.base + "/_blobs/originals/x").status_code == 404, "internal location"
    metrics = requests.get(stack.base + "/metrics")
    assert metrics.status_code == 200 and 'gallery_jobs{status="queued"}' in metrics.text
    # Nothing above produced a 500: the responder logs every unexpected error.
    assert "unexpected error" not in stack.log("fcgi")
