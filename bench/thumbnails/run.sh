#!/bin/sh
# Thumbnail benchmark: ours against libvips (in-process and vipsthumbnail) and Pillow, one
# thread, same sizes, on ../shared/testdata/photos/albums/{text,nature}. Prints a Markdown
# table and writes bench/out/thumbnails/{results.md,montage.png}. Extra arguments go to
# bench.py (see --help), e.g. --repeat 5.
# Needs: libvips-tools (Debian) and, from PyPI, pillow pyvips numpy.
set -eu
cd "$(dirname "$0")/../.."
# What the tests need (libvips-tools, Pillow …), then what only this benchmark needs.
scripts/install-deps --test >&2
python3 -c "import pyvips, numpy" 2>/dev/null || python3 -m pip install -q pyvips numpy >&2
swift build -c release --scratch-path .build-bench --product gallery-bench-thumbnails >&2
exec python3 bench/thumbnails/bench.py --ours .build-bench/release/gallery-bench-thumbnails "$@"
