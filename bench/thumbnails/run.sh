#!/bin/sh
# Thumbnail benchmark: ours against libvips (in-process and vipsthumbnail) and Pillow, one
# thread, same sizes, on Tests/Fixtures/photos/albums/{text,nature}. Prints a Markdown
# table and writes bench/out/thumbnails/{results.md,montage.png}. Extra arguments go to
# bench.py (see --help), e.g. --repeat 5.
# Needs: libvips-tools (Debian) and, from PyPI, pillow pyvips numpy (installed by this script).
set -eu
cd "$(dirname "$0")/../.."
# What the tests need (libvips-tools, Pillow …), then what only this benchmark needs.
# Python: the tests' virtual environment (.venv-test, with Pillow), plus pyvips and numpy.
scripts/install-deps --test >&2
python=.venv-test/bin/python
"$python" -c "import pyvips, numpy" 2>/dev/null || "$python" -m pip install -q pyvips==3.2.0 numpy==2.4.6 >&2
swift build -c release --scratch-path .build-bench --product gallery-bench-thumbnails >&2
exec "$python" bench/thumbnails/bench.py --ours .build-bench/release/gallery-bench-thumbnails "$@"
