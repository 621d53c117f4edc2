"""Issue 14's defects where nginx is part of the behaviour, through the real stack on both
backends: the feed's microcache never serves a copy older than its second, the account forms
are rate-limited with a clear 429 page, and the security headers."""
import re
import time

from conftest import TESTDATA, Browser, register_and_login

ID_RE = re.compile(r"/images/([0-9a-f]{32})")


def upload_public(b):
    photo = TESTDATA / "orientation" / "Landscape_1.jpg"
    r = b.submit("/upload", "/upload", {"visibility": "public"},
                 files=[("photos", (photo.name, photo.read_bytes(), "image/jpeg"))])
    assert r.status_code == 303, r.text
    return ID_RE.findall(b.page("/gallery").text)[0]


def test_feed_microcache_staleness_is_bounded(stack):
    """A photo made private leaves the visitors' feed within the cache's lifetime, even for the
    first visitor after a quiet spell (nginx used to hand that one the copy from before)."""
    owner = register_and_login(stack, "stale")
    photo = upload_public(owner)
    visitor = Browser(stack.base)
    deadline = time.time() + 10
    while photo not in visitor.page("/").text:  # the feed is cached; wait for a copy with it
        assert time.time() < deadline, "the public photo never reached the feed"
        time.sleep(0.3)
    assert photo in visitor.page("/").text, "the cached copy lists it"
    r = owner.submit(f"/images/{photo}/edit", f"/images/{photo}", {"visibility": "private", "title": "",
                                                                 "description": "", "tags": ""})
    assert r.status_code == 303, r.text
    time.sleep(2.5)  # a quiet spell longer than the cache's 1 s
    first = Browser(stack.base).page("/")
    assert first.status_code == 200
    assert photo not in first.text, "the first visitor after the quiet spell got a stale feed"


def test_application_throttle_holds_behind_nginx(stack):
    """The application's per-account budget: 10 attempts in 15 minutes (the log-in at sign-up
    was one), then even the right password is refused (429 from the application, its own page)."""
    register_and_login(stack, "victim")
    b = Browser(stack.base)
    token = b.csrf("/login")
    codes = [b.post(stack.base + "/login", data={"csrf": token, "username": "victim", "password": "wrong password!"},
                    allow_redirects=False).status_code for _ in range(11)]
    assert codes[:9] == [401] * 9, codes
    assert codes[9:] == [429, 429], codes
    r = b.post(stack.base + "/login", data={"csrf": token, "username": "victim", "password": "correct horse battery"},
               allow_redirects=False)
    assert r.status_code == 429
    assert "too many attempts" in r.text


def test_security_headers(stack):
    r = Browser(stack.base).page("/login")
    csp = r.headers["Content-Security-Policy"]
    img = re.search(r"img-src ([^;]*)", csp).group(1).split()
    assert "https:" not in img, csp
    assert img[:2] == ["'self'", "data:"], csp
    if stack.backend == "aws":
        assert len(img) == 3 and img[2].startswith("http://127.0.0.1:"), csp
    assert r.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in r.headers["Permissions-Policy"]
    assert "geolocation=()" in r.headers["Permissions-Policy"]


def test_account_forms_are_rate_limited_with_a_clear_page(stack):
    """(Last in the module: it spends this address's allowance.) A flood of log-in POSTs from one address meets nginx's limit (burst 40, then 20 a
    minute): 429 with the error page, before any responder work."""
    b = Browser(stack.base)
    token = b.csrf("/login")
    statuses = []
    last = None
    for i in range(70):
        last = b.post(stack.base + "/login", data={"csrf": token, "username": f"nobody{i}", "password": "x" * 12},
                      allow_redirects=False)
        statuses.append(last.status_code)
    assert 429 in statuses, statuses
    assert statuses.count(429) >= 20, statuses
    assert last.status_code == 429
    assert "Too many attempts" in last.text
    # GETs are not limited: the form can still be read.
    assert b.page("/login").status_code == 200
