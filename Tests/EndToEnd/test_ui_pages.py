"""The pages in a real browser (Debian's chromium through Playwright) on the embedded backend
(what is tested here is the markup, styles and script, the same on both): the viewer, phone
widths, accessibility in both colour schemes, and the whole flow with JavaScript off."""
import re

import pytest
from axe_playwright_python.sync_playwright import Axe

from browser import PHOTOS, PageProblems, chromium, context_for, no_horizontal_scroll, upload, wait_ready  # noqa: F401
from conftest import Stack, register_and_login

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A stack with one person's photos (ready, public, one tagged), an album, and a visitor."""
    # Pages of 3, so that the 5 photos take two cursor pages (infinite scroll).
    s = Stack(tmp_path_factory.mktemp("ui"), backend="embedded", extra_env={"GALLERY_PAGE_SIZE": "3"}).start()
    owner = register_and_login(s, "viewer")
    ids = upload(owner, s, PHOTOS[:5])
    wait_ready(s, owner, ids)
    r = owner.submit(f"/images/{ids[0]}/edit", f"/images/{ids[0]}",
                     {"title": "Harbour at dusk", "description": "Boats.", "tags": "Sea boats", "visibility": "public"})
    assert r.status_code == 303
    r = owner.submit("/albums", "/albums", {"title": "Summer", "description": "", "visibility": "public"})
    assert r.status_code == 303
    album = r.headers["Location"]
    r = owner.post(s.base + "/gallery/bulk", data={"csrf": owner.csrf("/gallery"), "action": "add",
                                                   "album": album.rsplit("/", 1)[1], "image": ids[1:3]},
                   allow_redirects=False)
    assert r.status_code == 303
    s.owner, s.ids, s.album = owner, ids, album
    yield s
    codes = s.stop()
    assert codes.get("fcgi") == 0 and codes.get("worker") == 0, codes


def at(page, path):
    """Waits until the page's address is `path`: Playwright learns of a same-document change
    (pushState, replaceState) a moment after the page made it, so page.url may lag."""
    page.wait_for_function("(path) => location.pathname === path", arg=path, timeout=3000)


def gallery_order(page):
    return page.eval_on_selector_all("ul.grid li.tile[data-id]", "els => els.map(e => e.dataset.id)")


def test_viewer_keys_url_details_and_back_to_the_same_tile(site, chromium):
    context = context_for(chromium, site, site.owner)
    page = context.new_page()
    problems = PageProblems(page)
    page.goto("/gallery")
    page.wait_for_function("() => document.querySelectorAll('ul.grid li.tile').length === 5")  # the second page, scrolled in
    order = gallery_order(page)
    assert len(order) == 5
    page.evaluate("() => window.scrollTo(0, 200)")
    page.click(f"li.tile[data-id='{order[1]}'] a.thumb")
    page.wait_for_selector(".viewer[role=dialog]")
    at(page, f"/images/{order[1]}")
    assert page.locator(".viewer-img").get_attribute("src").endswith(f"/media/{order[1]}/preview.webp")
    page.wait_for_function("() => document.querySelector('.viewer-img').naturalWidth > 0")
    page.keyboard.press("ArrowRight")
    at(page, f"/images/{order[2]}")
    page.keyboard.press("ArrowRight")
    at(page, f"/images/{order[3]}")
    page.keyboard.press("ArrowLeft")
    at(page, f"/images/{order[2]}")
    # Details in the side panel are the photo page's own; the original can be zoomed to.
    page.click(".viewer-info")
    page.wait_for_selector(".viewer-details dl.facts")
    assert "Dimensions" in page.inner_text(".viewer-details")
    page.wait_for_selector(".viewer-zoom:visible")
    page.click(".viewer-zoom")
    assert page.locator(".viewer-img").get_attribute("src").endswith(f"/media/{order[2]}/original")
    page.wait_for_function("() => document.querySelector('.viewer-img').naturalWidth > 1000")
    page.click(".viewer-zoom")
    # The neighbours' previews were fetched before they were shown.
    fetched = page.evaluate("() => performance.getEntriesByType('resource').map(e => e.name)")
    for neighbour in (order[1], order[3], order[4]):
        assert any(name.endswith(f"/media/{neighbour}/preview.webp") for name in fetched), (neighbour, fetched)
    # A swipe (pointer drag) to the left shows the next photo, to the right the previous one.
    for start, end, expected in [(600, 300, order[3]), (300, 600, order[2])]:
        page.wait_for_function("() => { const i = document.querySelector('.viewer-img'); return i.complete && i.naturalWidth > 0; }")
        page.mouse.move(start, 450)
        page.mouse.down()
        page.mouse.move(end, 450, steps=5)
        page.mouse.up()
        at(page, f"/images/{expected}")
    page.go_back()
    page.wait_for_selector(".viewer", state="detached")
    at(page, "/gallery")
    focused = page.evaluate("() => document.activeElement.closest('li.tile')?.dataset.id")
    assert focused == order[2], "Back lands on the tile of the photo last shown"
    assert page.evaluate(f"""() => {{ const r = document.querySelector("li.tile[data-id='{order[2]}']").getBoundingClientRect();
                             return r.top >= 0 && r.bottom <= window.innerHeight; }}""")
    # A shared link is the photo's own page; Esc also closes.
    page.click(f"li.tile[data-id='{order[0]}'] a.thumb")
    page.wait_for_selector(".viewer")
    page.keyboard.press("Escape")
    page.wait_for_selector(".viewer", state="detached")
    at(page, "/gallery")
    problems.check()
    context.close()


def test_infinite_scroll_over_cursor_pages_and_links_without_scripts(site, chromium):
    context = context_for(chromium, site, site.owner, viewport={"width": 1280, "height": 400})
    page = context.new_page()
    assert site.owner.page("/gallery").text.count('<li class="tile') == 3, "the server's first page"
    page.goto("/gallery")
    page.evaluate("() => { window.sameDocument = true; }")
    page.mouse.wheel(0, 5000)
    page.wait_for_function("() => document.querySelectorAll('ul.grid li.tile').length === 5")
    ids = gallery_order(page)
    assert len(set(ids)) == 5 and set(ids) == set(site.ids)
    page.wait_for_selector(".pager a[rel=next]", state="detached")  # nothing older
    assert page.url.endswith("/gallery") and page.evaluate("() => window.sameDocument") is True
    context.close()
    plain = context_for(chromium, site, site.owner, java_script_enabled=False).new_page()
    plain.goto("/gallery")
    plain.click(".pager a[rel=next]")
    assert plain.locator("ul.grid li.tile").count() == 2
    plain.click("a[rel=first]")
    assert plain.url.endswith("/gallery") and plain.locator("ul.grid li.tile").count() == 3
    plain.context.close()


def test_justified_grid_keeps_aspect_ratios_and_has_day_headings(site, chromium):
    context = context_for(chromium, site, site.owner)
    page = context.new_page()
    page.goto("/gallery")
    page.wait_for_function("() => document.querySelectorAll('ul.grid li.tile').length === 5")
    shapes = page.eval_on_selector_all("ul.grid li.tile[data-w]", """els => els.map(e => {
        const r = e.querySelector('.thumb').getBoundingClientRect();
        return [r.width / r.height, e.dataset.w / e.dataset.h]; })""")
    assert shapes
    for shown, real in shapes:
        assert abs(shown - real) / real < 0.05, shapes
    assert page.locator("ul.grid li.day h2").count() >= 1
    assert no_horizontal_scroll(page)
    context.close()


def test_tiles_are_sharp_on_a_2x_screen(site, chromium):
    context = context_for(chromium, site, site.owner, device_scale_factor=2)
    page = context.new_page()
    page.goto("/gallery")
    page.wait_for_function("() => document.querySelectorAll('ul.grid li.tile').length === 5")
    page.wait_for_function("() => [...document.querySelectorAll('ul.grid img.real')].every(i => i.complete && i.naturalWidth > 0)")
    sources = page.eval_on_selector_all("ul.grid img.real", "els => els.map(e => [e.currentSrc, e.naturalWidth])")
    # naturalWidth is in CSS pixels: a 640-pixel file chosen for its "2x" descriptor counts 320.
    assert sources and all(src.endswith("/thumb-2x.webp") and width == 320 for src, width in sources), sources
    context.close()


def pages_of(site):
    ids, album = site.ids, site.album
    return ["/", "/login", "/register", "/confirm", "/search", "/search?q=boats", "/upload", "/profile", "/gallery",
            "/albums", album, f"/images/{ids[0]}", f"/images/{ids[1]}", "/u/viewer", "/tags/sea", "/account/delete",
            "/nope"]


@pytest.mark.parametrize("scripts", [True, False], ids=["js", "nojs"])
def test_no_page_is_wider_than_a_phone(site, chromium, scripts):
    context = context_for(chromium, site, site.owner, viewport={"width": 360, "height": 740},
                          java_script_enabled=scripts, is_mobile=True, has_touch=True)
    page = context.new_page()
    wide = []
    for path in pages_of(site):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        if not no_horizontal_scroll(page):
            wide.append((path, page.evaluate("() => document.documentElement.scrollWidth")))
    assert not wide, wide
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_accessibility_violation(site, chromium, scheme):
    axe = Axe()
    found = []
    for signed_in in [True, False]:
        context = context_for(chromium, site, site.owner if signed_in else None, color_scheme=scheme)
        page = context.new_page()
        paths = pages_of(site) if signed_in else ["/", "/login", "/register", f"/images/{site.ids[0]}", "/u/viewer",
                                                  "/tags/sea", "/search"]
        for path in paths:
            page.goto(path)
            page.wait_for_load_state("networkidle")
            results = axe.run(page)
            for v in results.response["violations"]:
                if v["impact"] in ("serious", "critical"):
                    found.append((scheme, path, v["id"], [(n["target"], n["html"][:300]) for n in v["nodes"]][:3],
                                  v["nodes"][0].get("failureSummary", "")[:200]))
        context.close()
    assert not found, "\n".join(map(str, found))


def test_whole_flow_without_javascript(site, chromium):
    context = context_for(chromium, site, java_script_enabled=False)
    page = context.new_page()
    register_and_login(site, "nojs")  # an account (the mail is read by the test); then log in by the form
    page.goto("/login")
    page.fill("input[name=username]", "nojs")
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(re.compile(r"/(gallery)?$"))
    page.goto("/upload")
    page.set_input_files("input[type=file]", [str(PHOTOS[5]), str(PHOTOS[6])])
    page.select_option("select[name=visibility]", "public")
    page.click("form[action='/upload'] button[type=submit]")
    page.wait_for_url("**/gallery")
    # The page reloads itself until the thumbnails exist (no script needed).
    page.wait_for_selector("ul.grid li.tile img.real >> nth=1", timeout=60000)
    assert page.locator("ul.grid li.tile.processing").count() == 0
    assert page.locator(".uploads, .viewer").count() == 0
    page.click("ul.grid li.tile >> nth=0 >> a.thumb")
    page.wait_for_url(re.compile(r"/images/[0-9a-f]{32}$"))
    assert page.locator(".viewer").count() == 0, "a plain page, no viewer"
    page.fill("input[name=title]", "Saved without a script")
    page.fill("input[name=tags]", "plain")
    page.click("form[action$='/edit'] button[type=submit]")
    page.wait_for_selector("h1:has-text('Saved without a script')")
    page.goto("/search?q=script")
    assert page.locator("ul.grid li.tile").count() >= 1
    page.goto("/gallery")
    page.check("ul.grid li.tile >> nth=1 >> input[type=checkbox]")
    page.click("form#bulk button[value=delete]")
    page.wait_for_url("**/gallery")
    assert page.locator("ul.grid li.tile").count() == 1
    context.close()


def test_polish_skip_link_favicon_local_time_plurals_covers_and_no_internal_states(site, chromium):
    context = context_for(chromium, site, site.owner, timezone_id="Asia/Tokyo")
    page = context.new_page()
    page.goto("/gallery")
    # The first Tab reaches the skip link, which moves focus past the menu to the content.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent") == "Skip to the content"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "content"
    assert page.request.get("/favicon.ico").status == 200
    assert page.request.get("/static/favicon.svg").status == 200
    # Times in the reader's zone (Tokyo is UTC+9), the UTC value kept in datetime.
    t = page.locator("ul.grid time").first
    utc = t.get_attribute("datetime")
    assert utc.endswith("Z") and "UTC" in t.get_attribute("title")
    expected = page.evaluate("""(utc) => new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short",
                                timeZone: "Asia/Tokyo" }).format(new Date(utc))""", utc)
    assert t.inner_text() == expected
    # Albums: counts in words, and the album without a chosen cover shows its newest photo.
    page.goto("/albums")
    assert "2 photos" in page.inner_text("ul.albums")
    cover = page.locator("ul.albums li.tile img.real").first
    assert cover.evaluate("i => i.complete && i.naturalWidth > 0")
    context.close()
    visitor = context_for(chromium, site).new_page()
    visitor.goto(f"/images/{site.ids[0]}")
    facts = visitor.inner_text("dl.facts")
    assert "Status" not in facts and "ready" not in facts, facts
    assert visitor.goto("/tags/Sea").status == 200, "tags are lower-cased; the address's case does not matter"
    assert visitor.locator("ul.grid li.tile").count() == 1
    visitor.goto("/u/viewer")
    assert visitor.locator("ul.albums img.real").count() == 1, "the public album's cover, for visitors too"
    visitor.context.close()
