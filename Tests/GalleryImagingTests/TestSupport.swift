import CGD
import Foundation
import GalleryCore
@testable import GalleryImaging
import GalleryTestSupport
import ImageInspection
import XCTest

func photo(_ relativePath: String) -> URL { Fixtures.url(relativePath) }

/// Every photo under `directory`, recursively, except licences and READMEs.
func files(under directory: String) throws -> [URL] { try Fixtures.files(under: directory) }

/// A scratch directory removed when the test case ends.
func temporaryDirectory(for test: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("gallery-imaging-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}

func write(_ bytes: Data, named name: String, in directory: URL) throws -> URL {
    let url = directory.appendingPathComponent(name)
    try bytes.write(to: url)
    return url
}

/// Decodes an encoded derivative back to pixels, through the same libgd readers.
func pixels(of data: Data) throws -> GDImage {
    let header = try ImageHeader.read(bytes: [UInt8](data))
    return try GDDecoder.decode(data, header: header)
}

func pixels(of image: EncodedImage) throws -> GDImage {
    let decoded = try pixels(of: image.data)
    XCTAssertEqual(decoded.width, image.width)
    XCTAssertEqual(decoded.height, image.height)
    return decoded
}

extension GDImage {
    func pixel(_ x: Int, _ y: Int) -> (r: Int, g: Int, b: Int, alpha: Int) {
        let p = Int(rows[y]![x])
        return (p >> 16 & 0xFF, p >> 8 & 0xFF, p & 0xFF, p >> 24 & 0x7F)
    }

    /// Mean absolute difference per RGB channel, 0–255; the images must be the same size.
    func meanDifference(from other: GDImage) -> Double {
        precondition(width == other.width && height == other.height, "sizes differ")
        var total = 0
        for y in 0 ..< height {
            for x in 0 ..< width {
                let a = pixel(x, y), b = other.pixel(x, y)
                total += abs(a.r - b.r) + abs(a.g - b.g) + abs(a.b - b.b)
            }
        }
        return Double(total) / Double(width * height * 3)
    }

    /// PNG bytes through libgd, for images made in a test.
    func png() -> Data {
        var size: Int32 = 0
        let bytes = gdImagePngPtr(pointer, &size)!
        defer { gdFree(bytes) }
        return Data(bytes: bytes, count: Int(size))
    }
}
