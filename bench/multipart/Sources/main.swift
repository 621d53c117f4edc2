// gallery-bench-multipart: how fast the upload parser takes a multipart body of real camera
// photos fed in 64 KiB chunks, as the responder reads FastCGI stdin, hashing and writing the
// temporary files on the way. Checks every parse (file count, the last file's SHA-256), then
// prints MB/s. Run from the repository's root (the photos are Tests/Fixtures'):
//   swift build -c release --product gallery-bench-multipart && .build/release/gallery-bench-multipart
import Foundation
import GalleryCrypto
import GalleryHTTP

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("gallery-bench-multipart: \(message)\n".utf8))
    exit(1)
}

let fixtures = ProcessInfo.processInfo.environment["GALLERY_TESTDATA"].flatMap { $0.isEmpty ? nil : $0 } ?? "Tests/Fixtures"
let names = ["book-beside-flowers.jpg", "craft-beer.jpg", "handwritten-notes.jpg", "japanese-shop.jpg"]
let photos: [[UInt8]] = names.map { name in
    let path = "\(fixtures)/photos/albums/text/\(name)"
    guard let data = FileManager.default.contents(atPath: path) else { fail("no photo at \(path) (run from the repository's root)") }
    return [UInt8](data)
}

// A body as browsers write it: a CSRF field, then the photos over and over to ~25 MB.
let boundary = "----WebKitFormBoundaryq3Wd9fYx2ZpL0aBc"
var body = Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ntoken\r\n".utf8)
var fileCount = 0
while body.count < 25_000_000 {
    body += Array(("--\(boundary)\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"\(names[fileCount % 4])\"\r\n"
                   + "Content-Type: image/jpeg\r\n\r\n").utf8)
    body += photos[fileCount % 4] + Array("\r\n".utf8)
    fileCount += 1
}
body += Array("--\(boundary)--\r\n".utf8)
let megabytes = Double(body.count) / 1e6
let expectedLast = SHA256.hex(photos[(fileCount - 1) % 4])

let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gallery-bench-multipart-\(UUID().uuidString)")
do {
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
    defer { try? FileManager.default.removeItem(at: directory) }  // cleanup only
    var rates: [Double] = []
    for _ in 0..<7 {
        let start = DispatchTime.now().uptimeNanoseconds
        let parser = try MultipartParser(boundary: boundary, limits: MultipartLimits(maxFiles: 100, maxTotalBytes: 64 << 20),
                                         temporaryDirectory: directory)
        try body.withUnsafeBytes { all in
            var offset = 0
            while offset < all.count {
                let end = min(offset + 64 * 1024, all.count)
                try parser.feed(UnsafeRawBufferPointer(rebasing: all[offset..<end]))
                offset = end
            }
        }
        let parsed = try parser.finish()
        rates.append(megabytes / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
        guard parsed.files.count == fileCount, parsed.files.last?.sha256 == expectedLast else {
            fail("parsed \(parsed.files.count) files of \(fileCount), or the last one's hash differs")
        }
        for file in parsed.files { try FileManager.default.removeItem(at: file.file) }
    }
    let hashStart = DispatchTime.now().uptimeNanoseconds
    _ = SHA256.hash(body)
    let hashRate = megabytes / (Double(DispatchTime.now().uptimeNanoseconds - hashStart) / 1e9)
    rates.sort()
    print(String(format: "multipart: %.1f MB body, %d files, 64 KiB chunks: median %.0f MB/s, best %.0f MB/s (SHA-256 alone: %.0f MB/s)",
                 megabytes, fileCount, rates[rates.count / 2], rates.last!, hashRate))
} catch {
    fail("\(error)")
}
