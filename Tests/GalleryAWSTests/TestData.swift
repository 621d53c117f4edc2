import Foundation
import XCTest

/// The shared real photos (../shared/testdata from the repository root, or GALLERY_TESTDATA).
enum TestData {
    static var directory: URL {
        if let env = ProcessInfo.processInfo.environment["GALLERY_TESTDATA"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("../shared/testdata").standardizedFileURL
    }

    static func photos() throws -> [URL] {
        guard let walker = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.fileSizeKey]) else {
            throw XCTSkip("no test data at \(directory.path)")
        }
        let images = walker.compactMap { $0 as? URL }.filter { ["jpg", "jpeg", "png", "webp", "gif"].contains($0.pathExtension.lowercased()) }
        guard !images.isEmpty else { throw XCTSkip("no photos in \(directory.path)") }
        return images.sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    /// A real JPEG photo.
    static func photo() throws -> URL {
        let all = try photos()
        return all.first { $0.pathExtension.lowercased().hasPrefix("jp") } ?? all[0]
    }

    /// The largest photo available (multipart uploads want several MiB).
    static func largestPhoto() throws -> URL {
        try photos().max { size($0) < size($1) }!
    }

    static func size(_ url: URL) -> Int {
        (try? url.resourceValues(forKeys: [.fileSizeKey]).fileSize) ?? 0
    }
}
