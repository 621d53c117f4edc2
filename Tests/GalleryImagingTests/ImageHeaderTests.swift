import CGD
import Foundation
import GalleryCore
@testable import GalleryImaging
import ImageInspection
import XCTest

final class ImageHeaderTests: XCTestCase {
    /// libgd's full decode of a file, for its size.
    private func gdSize(_ data: Data, _ format: ImageFormat) throws -> (Int, Int) {
        let image: gdImagePtr? = data.withUnsafeBytes { buffer in
            let bytes = UnsafeMutableRawPointer(mutating: buffer.baseAddress)
            switch format {
            case .jpeg: return gdImageCreateFromJpegPtr(Int32(buffer.count), bytes)
            case .png: return gdImageCreateFromPngPtr(Int32(buffer.count), bytes)
            case .gif: return gdImageCreateFromGifPtr(Int32(buffer.count), bytes)
            case .webp: return gdImageCreateFromWebpPtr(Int32(buffer.count), bytes)
            }
        }
        let decoded = GDImage(owning: try XCTUnwrap(image))
        return (decoded.width, decoded.height)
    }

    func testHeaderSizesEqualLibgdsDecodedSizes() throws {
        let all = try files(under: "photos") + files(under: "orientation")
        var checked = 0
        for url in all where ["jpg", "png", "webp"].contains(url.pathExtension) {
            let info = try ImageHeader.read(file: url)
            let data = try Data(contentsOf: url)
            XCTAssertEqual(try ImageHeader.read(bytes: [UInt8](data)), info, url.lastPathComponent)
            let (width, height) = try gdSize(data, info.format)
            XCTAssertEqual(info.width, width, url.lastPathComponent)
            XCTAssertEqual(info.height, height, url.lastPathComponent)
            checked += 1
        }
        XCTAssertGreaterThanOrEqual(checked, 40)
        XCTAssertEqual(try ImageHeader.read(file: photo("photos/albums/text/craft-beer.jpg")),
                       ImageHeaderInfo(format: .jpeg, width: 6000, height: 4000))
    }

    /// libgd writes "VP8 " (lossy), "VP8L" (lossless) and "VP8X" (lossy with alpha) files.
    func testWebPChunkKinds() throws {
        let image = try GDImage(width: 37, height: 21)
        gdImageFilledRectangle(image.pointer, 0, 0, 36, 20, 0x0020_8040)
        let lossy = try WebPEncoder.encode(image, quality: 80)
        let lossless = try WebPEncoder.encode(image, quality: 101)
        gdImageSetPixel(image.pointer, 3, 3, 0x4000_0000)
        let alpha = try WebPEncoder.encode(image, quality: 80)
        for (data, chunk) in [(lossy, "VP8 "), (lossless, "VP8L"), (alpha, "VP8X")] {
            XCTAssertEqual(String(decoding: data[12 ..< 16], as: UTF8.self), chunk)
            XCTAssertEqual(try ImageHeader.read(bytes: [UInt8](data)), ImageHeaderInfo(format: .webp, width: 37, height: 21))
            XCTAssertEqual(try gdSize(data, .webp).0, 37)
        }
        var animated = [UInt8](alpha)
        animated[20] |= 0x02
        XCTAssertThrowsError(try ImageHeader.read(bytes: animated)) { error in
            XCTAssertEqual(error as? GalleryError, .invalid("animated WebP is not supported"))
        }
    }

    func testGIFLogicalScreen() throws {
        let image = GDImage(owning: try XCTUnwrap(gdImageCreate(50, 30)))
        gdImageColorAllocate(image.pointer, 10, 20, 30)
        var size: Int32 = 0
        let bytes = try XCTUnwrap(gdImageGifPtr(image.pointer, &size))
        defer { gdFree(bytes) }
        let gif = Data(bytes: bytes, count: Int(size))
        XCTAssertEqual(try ImageHeader.read(bytes: [UInt8](gif)), ImageHeaderInfo(format: .gif, width: 50, height: 30))
    }

    /// Headers behind more EXIF/ICC than one read holds are found; behind more than the scan
    /// limit, refused.
    func testJPEGFrameBehindLargeSegments() throws {
        let original = try Data(contentsOf: photo("photos/albums/nature/silver_fir.jpg"))
        func withSegments(_ count: Int) -> Data {
            let app2 = Data([0xFF, 0xE2, 0xFF, 0xFF]) + Data(repeating: 0x41, count: 0xFFFF - 2)
            return original.prefix(2) + Data(repeatElement(app2, count: count).joined()) + original.dropFirst(2)
        }
        let directory = try temporaryDirectory(for: self)
        let large = try write(withSegments(5), named: "large-exif.jpg", in: directory)  // 320 KB
        XCTAssertEqual(try ImageHeader.read(file: large), ImageHeaderInfo(format: .jpeg, width: 511, height: 323))
        let huge = try write(withSegments(70), named: "huge-exif.jpg", in: directory)  // 4.5 MB
        XCTAssertThrowsError(try ImageHeader.read(file: huge)) { error in
            XCTAssertEqual(error as? GalleryError, .invalid("no JPEG image header in the first 4 MB"))
        }
    }

    func testTruncatedHeadersThrow() throws {
        let cases = ["photos/albums/nature/silver_fir.jpg", "photos/formats/density_plot.png",
                     "photos/formats/denali.webp", "orientation/Landscape_6.jpg"]
        for path in cases {
            let data = [UInt8](try Data(contentsOf: photo(path)))
            // JPEG: cut inside the EXIF/JFIF segments before the frame header.
            for length in [1, 4, 12, 20, 28] {
                XCTAssertThrowsError(try ImageHeader.read(bytes: Array(data.prefix(length))), "\(path) at \(length)") { error in
                    guard case GalleryError.invalid = error else { return XCTFail("\(error)") }
                }
            }
        }
    }

    func testMalformedHeadersThrow() throws {
        var png = pngHeader(width: 0, height: 10)
        XCTAssertThrowsError(try ImageHeader.read(bytes: png))
        png = pngHeader(width: 10, height: 10, depth: 3)
        XCTAssertThrowsError(try ImageHeader.read(bytes: png))
        XCTAssertThrowsError(try ImageHeader.read(bytes: Array("GIF89a".utf8) + [0, 0, 5, 0, 0, 0, 0]))
        // A JPEG whose frame header says height 0 (defined later by DNL: unsupported).
        let sof: [UInt8] = [0xFF, 0xD8, 0xFF, 0xC0, 0, 17, 8, 0, 0, 0, 16, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]
        XCTAssertThrowsError(try ImageHeader.read(bytes: sof)) { error in
            XCTAssertEqual(error as? GalleryError, .invalid("JPEG frame header gives size 16×0"))
        }
        // Image data before any frame header.
        XCTAssertThrowsError(try ImageHeader.read(bytes: [0xFF, 0xD8, 0xFF, 0xDA, 0, 8, 1, 2, 3, 4, 5, 6]))
        XCTAssertThrowsError(try ImageHeader.read(file: URL(fileURLWithPath: "/nonexistent/file.jpg"))) { error in
            XCTAssertEqual(error as? GalleryError, .notFound)
        }
    }

    /// A PNG claiming 100000×100000 is refused from its 33-byte header: no decoder runs, so
    /// nothing allocates its 40 GB.
    func testPixelBombRefusedBeforeDecoding() throws {
        let bomb = pngHeader(width: 100_000, height: 100_000) + pngChunk("IDAT", [0x78, 0x9C, 0x03, 0x00])
            + pngChunk("IEND", [])
        let info = try ImageHeader.read(bytes: bomb)
        XCTAssertEqual(info, ImageHeaderInfo(format: .png, width: 100_000, height: 100_000))
        XCTAssertThrowsError(try info.checkPixelLimit(50_000_000)) { error in
            guard case GalleryError.tooLarge(let message) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(message, "the image is 100000×100000 pixels (10000.0 megapixels); the limit is 50.0 megapixels")
        }
        let file = try write(Data(bomb), named: "bomb.png", in: temporaryDirectory(for: self))
        XCTAssertThrowsError(try Thumbnailer.make(file: file, spec: ThumbnailSpec(), maxPixels: 50_000_000)) { error in
            guard case GalleryError.tooLarge = error else { return XCTFail("\(error)") }
        }
        XCTAssertNoThrow(try info.checkPixelLimit(10_000_000_000))
    }
}

func pngHeader(width: UInt32, height: UInt32, depth: UInt8 = 8) -> [UInt8] {
    let ihdr = bigEndian(width) + bigEndian(height) + [depth, 2, 0, 0, 0]
    return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + pngChunk("IHDR", ihdr)
}

func pngChunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
    let typed = Array(type.utf8) + data
    return bigEndian(UInt32(data.count)) + typed + bigEndian(crc32(typed))
}

private func bigEndian(_ value: UInt32) -> [UInt8] {
    [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
}

private func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0 ..< 8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
}
