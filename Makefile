# Shortcuts; the scripts are the source of truth (they work without make too).
.PHONY: run test build release bench bench-feed bench-thumbnails clean

run:
	scripts/run

test:
	scripts/test

build:
	swift build

release:
	swift build -c release

bench: bench-feed bench-thumbnails

bench-feed:
	scripts/bench-feed

bench-thumbnails:
	bench/thumbnails/run

clean:
	rm -rf .build var
