import CGD
import Foundation
@testable import GalleryImaging
import ImageInspection
import XCTest

/// Our WebP encoder feeds libwebp from libgd's rows itself (opaque images as RGB); it must
/// write the very file libgd's gdImageWebpPtrEx writes, so that the encoder's settings stay
/// libgd's (and the benchmark's comparison fair).
final class WebPEncoderTests: XCTestCase {
    private func libgdWebP(_ image: GDImage, quality: Int) throws -> Data {
        var size: Int32 = 0
        let bytes = try XCTUnwrap(gdImageWebpPtrEx(image.pointer, &size, Int32(quality)))
        defer { gdFree(bytes) }
        return Data(bytes: bytes, count: Int(size))
    }

    func testOpaqueJPEGPreviewIsLibgdsFile() throws {
        let url = photo("photos/albums/nature/prairie_falcon.jpg")
        let header = try ImageHeader.read(file: url)
        let image = try JPEGDecoder.decode(file: url, header: header, width: 400, height: 267).image
        XCTAssertTrue(image.opaque)
        for quality in [80, 40, 101] {
            XCTAssertEqual(try WebPEncoder.encode(image, quality: quality), try libgdWebP(image, quality: quality),
                           "quality \(quality)")
        }
        // Marked opaque or not, an opaque image gives the same file.
        image.opaque = false
        XCTAssertEqual(try WebPEncoder.encode(image, quality: 80), try libgdWebP(image, quality: 80))
    }

    func testAlphaIsLibgdsFile() throws {
        let image = try GDImage(width: 101, height: 51)  // odd sizes: chroma is subsampled in pairs
        gdImageFilledRectangle(image.pointer, 0, 0, 100, 50, 0x7F00_0000)
        gdImageFilledRectangle(image.pointer, 0, 0, 40, 50, 0x00FF_8000)
        gdImageFilledRectangle(image.pointer, 60, 0, 100, 50, 0x2000_40FF)
        for quality in [80, 101] {
            let ours = try WebPEncoder.encode(image, quality: quality)
            XCTAssertEqual(ours, try libgdWebP(image, quality: quality), "quality \(quality)")
            let decoded = try pixels(of: ours)
            XCTAssertEqual(decoded.pixel(80, 20).alpha, 0x20, accuracy: quality > 100 ? 0 : 2)
            XCTAssertEqual(decoded.pixel(50, 20).alpha, 127)
        }
    }

    func testSizesOutsideWebPAreRefused() throws {
        let image = try GDImage(width: WebPEncoder.maxDimension + 1, height: 1)
        XCTAssertThrowsError(try WebPEncoder.encode(image, quality: 80))
    }
}
