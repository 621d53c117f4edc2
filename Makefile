# Shortcuts; the scripts are the source of truth (they work without make too).
.PHONY: run test build release bench bench-feed bench-feed-render bench-multipart bench-queue bench-thumbnails clean

run:
	scripts/run

test:
	scripts/test

build:
	swift build

release:
	swift build -c release

bench: bench-feed bench-feed-render bench-multipart bench-queue bench-thumbnails

bench-feed:
	scripts/bench-feed

bench-feed-render:
	swift build -c release --product gallery-bench-feed-render
	.build/release/gallery-bench-feed-render

bench-multipart:
	swift build -c release --product gallery-bench-multipart
	.build/release/gallery-bench-multipart

bench-queue:
	bench/queue/run.sh

bench-thumbnails:
	bench/thumbnails/run.sh

clean:
	rm -rf .build var
