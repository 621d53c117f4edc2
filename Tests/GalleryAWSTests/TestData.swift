import Foundation
import GalleryTestSupport

/// Real photos from the test fixtures, chosen by kind rather than by name.
enum TestData {
    /// Every photo of a format the gallery stores, sorted by file name.
    static func photos() throws -> [URL] {
        try Fixtures.files(under: ".")
            .filter { ["jpg", "jpeg", "png", "webp", "gif"].contains($0.pathExtension.lowercased()) }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
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
