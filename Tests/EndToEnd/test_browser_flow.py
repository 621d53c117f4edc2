"""The whole product through nginx, as a person with a browser uses it: register, confirm,
log in, upload several real photos, wait for the worker, see them, fetch a thumbnail,
delete one, log out."""
import io
import re
import time

import requests
from PIL import Image

from conftest import TESTDATA, Browser, register_and_login, scrape, worker_metrics

PHOTOS = [TESTDATA / "photos" / "albums" / "nature" / name for name in sorted(
    p.name for p in (TESTDATA / "photos" / "albums" / "nature").iterdir() if p.suffix.lower() in (".jpg", ".jpeg"))][:3]
PNG = TESTDATA / "photos" / "formats" / "density_plot.png"
WEBP = TESTDATA / "photos" / "formats" / "denali.webp"
THUMB_RE = re.compile(r'src="/media/([0-9a-f]{32})/thumb\.webp"')


def upload(browser, paths):
    files = [("photos", (p.name, p.read_bytes(), "application/octet-stream")) for p in paths]
    return browser.submit("/upload", "/upload", {"visibility": "public"}, files=files)


def wait_ready(browser, expected, timeout=90):
    deadline = time.time() + timeout
    while time.time() < deadline:
        page = browser.page("/gallery").text
        ids = THUMB_RE.findall(page)
        if len(ids) >= expected and "Processing" not in page:
            return ids
        assert "Could not process" not in page, page
        time.sleep(0.3)
    raise AssertionError("images did not become ready in time:\n" + browser.page("/gallery").text)


def test_register_confirm_login_upload_view_delete(stack):
    b = Browser(stack.base)
    # Wrong password and unknown user get the same answer.
    b2 = register_and_login(stack, "alice")
    bad1 = b.submit("/login", "/login", {"username": "alice", "password": "not the password"})
    bad2 = b.submit("/login", "/login", {"username": "nobody-here", "password": "not the password"})
    assert bad1.status_code == bad2.status_code == 401
    assert "Wrong username or password." in bad1.text and "Wrong username or password." in bad2.text

    cookie = next(c for c in b2.cookies if c.name == "session")
    assert cookie.has_nonstandard_attr("HttpOnly") or "HttpOnly" in str(cookie._rest)

    photos = PHOTOS + [PNG, WEBP]
    r = upload(b2, photos)
    assert r.status_code == 303 and r.headers["Location"] == "/gallery", r.text
    # The upload answers at once; images show as processing until the worker is done.
    ids = wait_ready(b2, len(photos))
    assert len(ids) == len(photos)

    # Public uploads are in the feed of everyone, newest first.
    # nginx keeps the visitors' feed for a second (microcache): allow it to catch up.
    deadline = time.time() + 5
    while not set(ids) <= set(THUMB_RE.findall(Browser(stack.base).page("/").text)) and time.time() < deadline:
        time.sleep(0.3)
    assert set(ids) <= set(THUMB_RE.findall(Browser(stack.base).page("/").text))

    # A thumbnail is a WebP of the configured size, cached a day by browsers: from nginx by
    # X-Accel-Redirect (embedded), or from S3 by a presigned URL (AWS).
    thumb = Browser(stack.base).page(f"/media/{ids[0]}/thumb.webp")
    if stack.backend == "aws":
        # A presigned URL: S3 sets the caching header from its response-cache-control, as long
        # as the URL lives (moto ignores that parameter, so check the URL).
        assert thumb.status_code == 302
        assert "response-cache-control=private%2C%20max-age%3D" in thumb.headers["Location"]
        thumb = requests.get(thumb.headers["Location"])
    else:
        # Public: a day in the browser, a minute in shared caches (README: "Behind a CDN").
        assert thumb.headers["Cache-Control"] == "public, max-age=86400, s-maxage=60"
    assert thumb.status_code == 200
    assert thumb.headers["Content-Type"] == "image/webp"
    assert thumb.content[:4] == b"RIFF" and thumb.content[8:12] == b"WEBP"
    img = Image.open(io.BytesIO(thumb.content))
    assert max(img.size) == 320 or max(img.size) <= 320

    # The image page shows the details and links the original as a download.
    page = b2.page(f"/images/{ids[0]}").text
    for word in ["alice", "Dimensions", "ready", "Download original"]:
        assert word in page
    original = b2.page(f"/media/{ids[0]}/original")
    if stack.backend == "aws":
        assert "response-content-disposition=attachment" in original.headers["Location"]
        original = requests.get(original.headers["Location"])
    else:
        assert original.headers["Content-Disposition"].startswith("attachment;")
    assert original.status_code == 200
    assert original.content == photos[0].read_bytes() or original.content in [p.read_bytes() for p in photos]

    # Delete one: the page, the thumbnail, the original, the metadata all go.
    victim = ids[0]
    r = b2.submit(f"/images/{victim}/delete", f"/images/{victim}", {})
    assert r.status_code == 303
    assert b2.page(f"/images/{victim}").status_code == 404
    assert b2.page(f"/media/{victim}/thumb.webp").status_code == 404
    assert victim not in b2.page("/gallery").text
    assert not [k for k in stack.blob_keys() if victim in k], stack.blob_keys()
    assert victim not in stack.image_ids()

    # Log out with a POST; the session is gone server-side.
    r = b2.submit("/logout", "/gallery", {})
    assert r.status_code == 303
    assert b2.page("/gallery").status_code == 303


def test_profile_is_editable(stack):
    b = register_and_login(stack, "bob")
    page = b.page("/profile").text
    assert "bob@example.com" in page
    r = b.submit("/profile", "/profile", {"displayName": "Bob <Builder>"})
    assert r.status_code == 303
    page = b.page("/profile").text
    assert "Bob &lt;Builder&gt;" in page and "<Builder>" not in page


def test_metrics_count_the_upload_and_its_job(stack):
    """/metrics (the responder) and the worker's metrics file after one upload, as deltas, so
    that the module's other tests may run before."""
    before = scrape(stack)
    jobs_before = worker_metrics(stack)
    completed_before = jobs_before.value("gallery_worker_jobs_total", kind="thumbnails", outcome="completed") \
        if jobs_before else 0
    b = register_and_login(stack, "carol")
    r = upload(b, [PNG])
    assert r.status_code == 303, r.text
    [image] = wait_ready(b, 1)
    assert b.page(f"/images/{image}").status_code == 200

    after = scrape(stack)
    for family, kind in [("gallery_http_requests", "counter"), ("gallery_http_request_duration_seconds", "histogram"),
                         ("gallery_upload_files", "counter"), ("gallery_upload_bytes", "counter"),
                         ("gallery_fcgi_busy_threads", "gauge"), ("gallery_fcgi_threads", "gauge"),
                         ("gallery_jobs", "gauge"), ("gallery_jobs_oldest_queued_age_seconds", "gauge")]:
        assert after.type(family) == kind, (family, after.families.keys())

    def delta(name, **labels):
        return after.value(name, **labels) - before.value(name, **labels)

    assert delta("gallery_http_requests_total", method="POST", route="/upload", status="303") == 1
    assert delta("gallery_http_request_duration_seconds_count", method="POST", route="/upload", status="303") == 1
    assert delta("gallery_http_requests_total", method="GET", route="/images/:id", status="200") == 1
    # Routes are patterns: no image id (nor any other path) ever becomes a label.
    routes = after.labels("gallery_http_requests_total", "route")
    assert not [r for r in routes if image in r], routes
    assert all(r == "unmatched" or r.startswith("/") for r in routes), routes
    assert delta("gallery_upload_files_total", outcome="accepted") == 1
    assert delta("gallery_upload_bytes_total", outcome="accepted") == PNG.stat().st_size
    assert after.value("gallery_fcgi_threads") == 4
    # Read at scrape time: the job is done, nothing waits.
    assert after.value("gallery_jobs", status="queued") == 0
    assert after.value("gallery_jobs_oldest_queued_age_seconds") == 0

    # The worker rewrites its file every second (GALLERY_WORKER_METRICS_SECONDS=1).
    deadline = time.time() + 10
    while True:
        worker = worker_metrics(stack)
        done = worker.value("gallery_worker_jobs_total", kind="thumbnails", outcome="completed") if worker else 0
        if done >= completed_before + 1 or time.time() > deadline:
            break
        time.sleep(0.2)
    assert done >= completed_before + 1, worker and worker.samples
    assert worker.type("gallery_worker_job_duration_seconds") == "histogram"
    assert worker.value("gallery_decode_child_exits_total", cause="ok") >= done
    assert worker.labels("gallery_worker_jobs_total", "worker") == {"gallery-worker-e2e"}


def test_metrics_are_for_this_host_only(stack):
    """nginx answers /metrics to loopback (127.0.0.1, ::1) only; from another address — here
    127.0.0.2, which is not in its allow list — both spellings of the route are refused."""
    import http.client
    from urllib.parse import urlsplit
    url = urlsplit(stack.base)
    for path in ["/metrics", "/metrics/", "/metrics?x=1"]:
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=5, source_address=("127.0.0.2", 0))
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        conn.close()
        assert response.status == 403, (path, response.status, body[:200])
        assert b"gallery_" not in body
    assert requests.get(stack.base + "/metrics/").status_code == 200, "the same route, from loopback"
