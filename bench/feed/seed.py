"""Seeds a running gallery for the feed benchmark: one user, enough real photos for a full
feed page (24 tiles), waits until the worker has made every thumbnail, then saves the feed
page as a static file for nginx to serve side by side."""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "Tests" / "EndToEnd"))
from conftest import TESTDATA, Browser, register_and_login  # noqa: E402


def main(base, data_dir, out_file, count=24):
    class Target:
        pass
    stack = Target()
    stack.base, stack.data, stack.backend = base, Path(data_dir), "embedded"
    b = register_and_login(stack, "bench")
    # Distinct photos (the gallery refuses the same bytes twice): the nature set, then the
    # orientation set.
    photos = (sorted((TESTDATA / "photos" / "albums" / "nature").glob("*.jp*g"))
              + sorted((TESTDATA / "orientation").glob("*.jpg")))[:count]
    assert len(photos) == count, f"only {len(photos)} distinct photos"
    for start in range(0, count, 8):
        files = [("photos", (p.name, p.read_bytes(), "image/jpeg")) for p in photos[start:start + 8]]
        r = b.submit("/upload", "/upload", {"visibility": "public"}, files=files)
        assert r.status_code == 303, r.text
    deadline = time.time() + 300
    while time.time() < deadline:
        page = Browser(base).page("/").text
        if page.count("/thumb.webp") >= count and "Processing" not in page:
            Path(out_file).write_text(page)
            return
        time.sleep(0.5)
    raise SystemExit("thumbnails were not ready in time")


if __name__ == "__main__":
    main(*sys.argv[1:4])
