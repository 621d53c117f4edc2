"""Takes the README's screenshots (docs/screenshots/) from the real stack in Debian's chromium:
light, dark and phone. Not a test; run by hand after changing pages:

    GALLERY_BIN=$(swift build --show-bin-path) python3 Tests/EndToEnd/screenshots.py
"""
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).parent))
from browser import CHROMIUM, drop, upload, wait_ready, worker_paused  # noqa: E402
from conftest import REPO, TESTDATA, Stack, register_and_login  # noqa: E402

OUT = REPO / "docs" / "screenshots"
ALBUMS = TESTDATA / "photos" / "albums"


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack(Path(tmp), backend="embedded").start()
        try:
            owner = register_and_login(stack, "ada")
            photos = sorted((ALBUMS / "nature").glob("*.jpg")) + sorted((ALBUMS / "text").glob("*.jpg"))
            ids = upload(owner, stack, photos)
            wait_ready(stack, owner, ids)
            first = ids[-1]
            owner.submit(f"/images/{first}/edit", f"/images/{first}",
                         {"title": "Cyclamen", "description": "On the kitchen window.", "tags": "flowers pink",
                          "visibility": "public"})
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
                for scheme in ["light", "dark"]:
                    ctx = browser.new_context(base_url=stack.base, viewport={"width": 1280, "height": 860},
                                              color_scheme=scheme, device_scale_factor=1)
                    ctx.add_cookies([{"name": c.name, "value": c.value, "url": stack.base} for c in owner.cookies])
                    page = ctx.new_page()
                    page.goto("/gallery")
                    page.wait_for_load_state("networkidle")
                    page.screenshot(path=str(OUT / f"gallery-{scheme}.png"))
                    page.click("ul.grid li.tile >> nth=2 >> a.thumb")
                    page.click(".viewer-info")
                    page.wait_for_selector(".viewer-details dl.facts")
                    page.wait_for_function("() => document.querySelector('.viewer-img').naturalWidth > 0")
                    page.screenshot(path=str(OUT / f"viewer-{scheme}.png"))
                    page.keyboard.press("Escape")
                    ctx.close()
                for scheme in ["light", "dark"]:
                    phone = browser.new_context(base_url=stack.base, viewport={"width": 360, "height": 740},
                                                device_scale_factor=2, is_mobile=True, has_touch=True, color_scheme=scheme)
                    phone.add_cookies([{"name": c.name, "value": c.value, "url": stack.base} for c in owner.cookies])
                    page = phone.new_page()
                    page.goto("/gallery")
                    page.wait_for_load_state("networkidle")
                    page.screenshot(path=str(OUT / f"phone-gallery-{scheme}.png"))
                    page.goto(f"/images/{first}")
                    page.wait_for_load_state("networkidle")
                    page.screenshot(path=str(OUT / f"phone-photo-{scheme}.png"))
                    phone.close()
                visitor = browser.new_context(base_url=stack.base, viewport={"width": 1280, "height": 860})
                page = visitor.new_page()
                page.goto("/")
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(OUT / "feed-light.png"))
                ctx = browser.new_context(base_url=stack.base, viewport={"width": 1280, "height": 860})
                ctx.add_cookies([{"name": c.name, "value": c.value, "url": stack.base} for c in owner.cookies])
                page = ctx.new_page()
                page.goto("/upload")
                cdp = ctx.new_cdp_session(page)
                cdp.send("Network.enable")
                cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 20,
                                                                "downloadThroughput": -1, "uploadThroughput": 400 * 1024})
                with worker_paused(stack):
                    drop(page, [("notes.txt", b"not a photo", "text/plain")] +
                         [(p.name, p.read_bytes(), "image/jpeg") for p in sorted((TESTDATA / "orientation").glob("*.jpg"))[:4]])
                    page.wait_for_function("() => [...document.querySelectorAll('.upload-row progress')].some(p => p.value > 20)")
                    page.screenshot(path=str(OUT / "upload-progress.png"))
                ctx.close()
                browser.close()
        finally:
            stack.stop()
    print("\n".join(str(p) for p in sorted(OUT.glob("*.png"))))


if __name__ == "__main__":
    main()
