#!/bin/sh
# Thumbnail benchmark: ours against libvips (in-process and vipsthumbnail) and Pillow, one
# thread, same sizes, on ../shared/testdata/photos/albums/{text,nature}. Prints a Markdown
# table and writes bench/out/thumbnails/{results.md,montage.png}. Extra arguments go to
# bench.py (see --help), e.g. --repeat 5.
# Needs: libvips-tools (Debian) and, from PyPI, pillow pyvips numpy.
set -eu
cd "$(dirname "$0")/../.."
if ! python3 -c "import PIL, pyvips, numpy" 2>/dev/null; then
    echo "bench/thumbnails: needs Pillow, pyvips and numpy: pip install pillow pyvips numpy" >&2
    exit 2
fi
command -v vipsthumbnail >/dev/null || { echo "bench/thumbnails: needs vipsthumbnail: apt-get install libvips-tools" >&2; exit 2; }
swift build -c release --scratch-path .build-bench --product gallery-bench-thumbnails >&2
exec python3 bench/thumbnails/bench.py --ours .build-bench/release/gallery-bench-thumbnails "$@"
