import Foundation
import XCTest
import GalleryHTTP

/// Shared by the parser tests: real photos, a private temporary directory per test, and a
/// builder for multipart bodies.
enum ParsingFixtures {
    /// ../shared/testdata from the repository root (3 levels above this file), or
    /// `GALLERY_TESTDATA`.
    static var testdata: URL {
        if let override = ProcessInfo.processInfo.environment["GALLERY_TESTDATA"], !override.isEmpty {
            return URL(fileURLWithPath: override)
        }
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        return root.appendingPathComponent("../shared/testdata").standardizedFileURL
    }

    static func photo(_ relativePath: String) throws -> [UInt8] {
        let url = testdata.appendingPathComponent(relativePath)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("test photo missing: \(url.path) (set GALLERY_TESTDATA)")
        }
        return [UInt8](try Data(contentsOf: url))
    }

    static func makeTemporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("gallery-parsing-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
        return url
    }

    static func contents(of directory: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
    }

    /// Feeds `body` in pieces of `chunkSize` bytes, then finishes.
    static func parse(_ body: [UInt8], boundary: String, chunkSize: Int, limits: MultipartLimits = .init(),
                      directory: URL) throws -> (fields: FormFields, files: [UploadedFile]) {
        let parser = try MultipartParser(boundary: boundary, limits: limits, temporaryDirectory: directory)
        try body.withUnsafeBytes { all in
            var offset = 0
            while offset < all.count {
                let end = min(offset + chunkSize, all.count)
                try parser.feed(UnsafeRawBufferPointer(rebasing: all[offset..<end]))
                offset = end
            }
        }
        return try parser.finish()
    }
}

/// A multipart/form-data body as browsers write it.
struct MultipartBody {
    let boundary: String
    private(set) var bytes: [UInt8] = []

    init(boundary: String = "----WebKitFormBoundaryq3Wd9fYx2ZpL0aBc") {
        self.boundary = boundary
    }

    mutating func field(_ name: String, _ value: String) {
        part(headers: "Content-Disposition: form-data; name=\"\(name)\"", body: Array(value.utf8))
    }

    mutating func file(_ name: String, filename: String, contentType: String = "image/jpeg", _ data: [UInt8]) {
        part(headers: "Content-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\n"
                + "Content-Type: \(contentType)",
             body: data)
    }

    /// `headers` without the blank line that ends them.
    mutating func part(headers: String, body: [UInt8]) {
        bytes += Array("--\(boundary)\r\n\(headers)\r\n\r\n".utf8) + body + Array("\r\n".utf8)
    }

    mutating func append(_ raw: String) { bytes += Array(raw.utf8) }

    var closed: [UInt8] { bytes + Array("--\(boundary)--\r\n".utf8) }
}
