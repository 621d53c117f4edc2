"""Uploads and live status in a real browser (Debian's chromium through Playwright), on both
backends: drop photos, per-file progress, per-file refusals in words, tiles and the photo page
turning ready in place, and nothing the person types or ticks lost while they do."""
import time

import pytest

from browser import PHOTOS, PageProblems, chromium, context_for, drop, upload, wait_ready, worker_paused  # noqa: F401
from conftest import register_and_login


@pytest.fixture(scope="module")
def owner(stack):
    return register_and_login(stack, f"drop{stack.backend}")


def test_drop_several_photos_progress_and_tiles_turn_ready_in_place(stack, chromium, owner):
    context = context_for(chromium, stack, owner)
    page = context.new_page()
    problems = PageProblems(page)
    page.goto("/gallery")
    # A marker that a page load would wipe: everything below happens in this one document.
    page.evaluate("() => { window.sameDocument = true; }")
    photos = [(p.name, p.read_bytes(), "image/jpeg") for p in PHOTOS[:4]]
    with worker_paused(stack):
        drop(page, photos)
        rows = page.locator(".upload-row")
        page.wait_for_function("() => document.querySelectorAll('.upload-row.done').length === 4", timeout=30000)
        assert rows.count() == 4
        for i in range(4):
            assert rows.nth(i).locator("progress").evaluate("p => p.value") == 100
            assert "Uploaded" in rows.nth(i).inner_text()
        # The new tiles are in the grid, processing (the worker is held).
        assert page.locator("ul.grid li.tile.processing").count() == 4
    # The worker goes on: every tile turns ready where it is, with its thumbnail.
    page.wait_for_function("() => document.querySelectorAll('ul.grid li.tile.processing').length === 0"
                           " && document.querySelectorAll('ul.grid li.tile img.real').length === 4", timeout=60000)
    assert page.evaluate("() => window.sameDocument") is True, "the page was reloaded"
    assert page.locator("meta[http-equiv=refresh]").count() == 0 or page.evaluate(
        "() => !!document.querySelector('noscript meta[http-equiv=refresh]')")
    if stack.backend == "embedded":
        # (On moto the bytes come from another origin over http, which the CSP does not allow.)
        page.wait_for_function("() => [...document.querySelectorAll('ul.grid img.real')].every(i => i.naturalWidth > 0)")
    problems.check(allow=["Content Security Policy"] if stack.backend == "aws" else ())
    context.close()


def test_a_refused_file_says_why_and_the_others_succeed(stack, chromium, owner):
    context = context_for(chromium, stack, owner)
    page = context.new_page()
    page.goto("/upload")
    before = len(stack.image_ids())
    files = [("notes.txt", b"just some words, not a photo\n" * 10, "text/plain"),
             (PHOTOS[4].name, PHOTOS[4].read_bytes(), "image/jpeg"),
             ("again.jpg", PHOTOS[0].read_bytes(), "image/jpeg"),  # already uploaded by the test above
             (PHOTOS[5].name, PHOTOS[5].read_bytes(), "image/jpeg")]
    drop(page, files)
    page.wait_for_function("() => document.querySelectorAll('.upload-row.done, .upload-row.failed').length === 4",
                           timeout=30000)
    rows = page.locator(".upload-row")
    texts = [rows.nth(i).inner_text() for i in range(4)]
    assert "not an image we can read" in texts[0], texts
    assert "already in your gallery" in texts[2], texts
    assert "Uploaded" in texts[1] and "Uploaded" in texts[3], texts
    assert page.locator(".upload-row.failed button:has-text('Retry'):visible").count() == 1  # the text file; a duplicate links instead
    assert page.locator("form[data-upload] button[type=submit]").is_enabled()
    assert len(stack.image_ids()) == before + 2
    context.close()


def test_button_disabled_while_sending_cancel_and_leaving_asks(stack, chromium, owner):
    context = context_for(chromium, stack, owner)
    page = context.new_page()
    page.goto("/upload")
    # A slow link (64 KB/s up), so that the upload is visibly under way.
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 20, "downloadThroughput": -1,
                                                    "uploadThroughput": 64 * 1024})
    page.set_input_files("input[type=file]", [str(PHOTOS[6])])
    page.click("form[data-upload] button[type=submit]")
    page.wait_for_selector(".upload-row.sending")
    assert page.locator("form[data-upload] button[type=submit]").is_disabled()
    # Leaving mid-upload asks first.
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.type), d.dismiss()))
    page.evaluate("() => { window.sameDocument = true; }")
    page.locator("a[href='/gallery']").first.click(no_wait_after=True)
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"], dialogs
    assert page.evaluate("() => window.sameDocument") is True
    # Progress below 100, a speed, then cancel.
    page.wait_for_function("() => { const p = document.querySelector('.upload-row progress'); return p.value > 0 && p.value < 100; }",
                           timeout=20000)
    assert "/s" in page.locator(".upload-row .info").inner_text()
    page.click(".upload-row button:has-text('Cancel')")
    page.wait_for_selector(".upload-row.cancelled")
    assert page.locator("form[data-upload] button[type=submit]").is_enabled()
    # Retry, at full speed now.
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                    "uploadThroughput": -1})
    page.click(".upload-row button:has-text('Retry')")
    page.wait_for_selector(".upload-row.done", timeout=30000)
    context.close()


def test_typing_and_ticks_survive_a_tile_and_the_photo_page_turning_ready(stack, chromium, owner):
    with worker_paused(stack):
        image_id = upload(owner, stack, [PHOTOS[7]])[0]
        context = context_for(chromium, stack, owner)
        gallery = context.new_page()
        gallery.goto("/gallery")
        gallery.evaluate("() => { window.sameDocument = true; }")
        assert gallery.locator(f"li.tile.processing[data-id='{image_id}']").count() == 1
        gallery.check(f"input[type=checkbox][value='{image_id}']")
        other = gallery.locator("li.tile:not(.processing) input[type=checkbox]").first
        other.check()
        photo = context.new_page()
        photo.goto(f"/images/{image_id}")
        photo.evaluate("() => { window.sameDocument = true; }")
        assert photo.locator("figure[data-status='processing']").count() == 1
        photo.fill("input[name=title]", "Typed while it was processing")
        photo.focus("textarea[name=description]")
        photo.keyboard.type("Half a senten")
        time.sleep(3.5)  # longer than the no-script page's refresh: with the script, nothing reloads
    photo.wait_for_selector("figure[data-status='ready'] img.real", timeout=60000)
    photo.keyboard.type("ce, finished after it turned ready.")
    assert photo.input_value("input[name=title]") == "Typed while it was processing"
    assert photo.input_value("textarea[name=description]") == "Half a sentence, finished after it turned ready."
    assert photo.evaluate("() => document.activeElement.name") == "description"
    assert photo.locator("dd.status-text").inner_text() == "ready"
    assert photo.evaluate("() => window.sameDocument") is True
    gallery.wait_for_selector(f"li.tile[data-id='{image_id}']:not(.processing) img.real", timeout=30000)
    assert gallery.is_checked(f"input[type=checkbox][value='{image_id}']")
    assert other.is_checked()
    assert gallery.evaluate("() => window.sameDocument") is True
    context.close()


def test_new_avatar_appears_in_place(stack, chromium, owner):
    context = context_for(chromium, stack, owner)
    page = context.new_page()
    page.goto("/profile")
    with worker_paused(stack):
        page.set_input_files("form[action='/profile/avatar'] input[type=file]", [str(PHOTOS[8])])
        page.click("form[action='/profile/avatar'] button[type=submit]")
        page.wait_for_url("**/profile?done=avatar")
        assert page.locator(".avatar-pending").count() == 1, "no broken image while it is being made"
        page.evaluate("() => { window.sameDocument = true; }")
    page.wait_for_selector("img.avatar", timeout=60000)
    assert page.evaluate("() => window.sameDocument") is True
    if stack.backend == "embedded":
        page.wait_for_function("() => document.querySelector('img.avatar').naturalWidth > 0")
    context.close()
