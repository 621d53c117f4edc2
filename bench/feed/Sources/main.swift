// gallery-bench-feed-render: what one render of the public feed page costs, in-process, with
// no nginx and no FastCGI: the page `scripts/bench-feed` asks gallery-fcgi for on every
// request (24 ready photos with placeholders; a session cookie that names no session), on the
// embedded backend built as gallery-fcgi builds it. Checks the page, then prints µs per render.
// Run from the repository's root (see bench/README.md):
//   swift build -c release --product gallery-bench-feed-render
//   .build/release/gallery-bench-feed-render [RENDERS]          (default 2000)
// callgrind: --toggle-collect='*renderOnce*' counts the renders alone.
import Foundation
import GalleryBootstrap
import GalleryCore
import GalleryHTTP
import GalleryUseCases
import GalleryWeb

/// Not inlined, so that callgrind's `--toggle-collect='*renderOnce*'` counts renders only.
@inline(never)
func renderOnce(_ app: GalleryApp, _ params: [String: String]) -> [UInt8] {
    app.handle(CGIParameters.request(params, body: BytesBody([]))).serialized()
}

/// `count` public, ready photos of one owner, newest first a minute apart, each with a
/// placeholder the size the worker makes (≈1 KB of base64). The same page on every run.
func seedFeed(_ store: MetadataStore, count: Int) throws {
    let newest = Date(timeIntervalSince1970: 1_795_256_580)  // 2026-11-21 10:23 UTC
    for index in 0..<count {
        let id = String(format: "%08x%024x", 0xfeed_0000 + index, index &* 0x9E37_79B9)
        let placeholderBytes = (0..<760).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index &* 7) }
        try store.putImage(ImageRecord(
            id: id, ownerID: "owner-1", ownerUsername: "bench", status: .processing, visibility: .public,
            format: .jpeg, originalFilename: "IMG_\(1000 + index).jpg", byteSize: 4_000_000,
            width: 4000, height: 3000, sha256: String(repeating: "0", count: 62) + String(format: "%02x", index),
            originalKey: "originals/\(id)", createdAt: newest.addingTimeInterval(Double(-60 * index))))
        try store.markImageReady(id: id, derivatives: ImageDerivatives(
            thumbnail: Derivative(key: "thumbs/\(id).webp", width: 320, height: 240, byteSize: 20_000),
            preview: Derivative(key: "previews/\(id).webp", width: 1280, height: 960, byteSize: 200_000),
            placeholder: "data:image/webp;base64," + Data(placeholderBytes).base64EncodedString(),
            originalForOthers: .original))
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("gallery-bench-feed-render: \(message)\n".utf8))
    exit(1)
}

let arguments = CommandLine.arguments.dropFirst()
guard arguments.count <= 1, let renders = arguments.first.map({ Int($0) }) ?? 2000, renders > 0 else {
    fail("usage: gallery-bench-feed-render [RENDERS]  (run from the repository's root)")
}
let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gallery-bench-feed-\(UUID().uuidString)")
defer { try? FileManager.default.removeItem(at: directory) }
do {
    let environment = ["GALLERY_DATA_DIR": directory.path, "GALLERY_TEMPLATES": "templates", "GALLERY_LOG_LEVEL": "warning"]
    let config = try Configuration(environment: environment)
    let backends = try Bootstrap.backends(config, environment: environment)
    let app = GalleryApp(
        useCases: UseCases(stores: backends.stores, settings: UseCases.Settings(config)), config: config, templates: try Templates(directory: config.templatesDirectory),
        secretKey: Array(repeating: 7, count: 32))
    try seedFeed(backends.stores.metadata, count: 24)

    let request = ["REQUEST_METHOD": "GET", "DOCUMENT_URI": "/", "QUERY_STRING": "",
                   "REMOTE_ADDR": "127.0.0.1", "HTTP_COOKIE": "session=benchmark-bypasses-the-microcache"]
    // The page measured is the page meant: 24 tiles with their placeholders and dates.
    let page = String(decoding: renderOnce(app, request), as: UTF8.self)
    guard page.hasPrefix("Status: 200 OK\r\n"),
          page.components(separatedBy: "<li class=\"tile").count - 1 == 24,
          page.components(separatedBy: "src=\"data:image/webp;base64,").count - 1 == 24,
          page.contains("<time datetime=\"2026-11-21T10:23:00Z\">2026-11-21 10:23 UTC</time>")
    else { fail("not the feed page of 24 photos:\n\(page.prefix(2000))") }

    var bytes = 0
    let start = DispatchTime.now().uptimeNanoseconds
    for _ in 0..<renders { bytes = renderOnce(app, request).count }
    let nanoseconds = DispatchTime.now().uptimeNanoseconds - start
    print(String(format: "feed page: %.1f µs per render (%d renders, %d bytes)",
                 Double(nanoseconds) / 1000 / Double(renders), renders, bytes))
} catch {
    fail("\(error)")
}
