import CGD
import Foundation
import GalleryCore
@testable import GalleryImaging
import ImageInspection
import XCTest

final class JPEGDecoderTests: XCTestCase {
    /// A full-size decode.
    private func decode(_ data: Data) throws -> JPEGDecoder.Decoded {
        let file = try write(data, named: "fixture.jpg", in: temporaryDirectory(for: self))
        let header = try ImageHeader.read(file: file)
        return try JPEGDecoder.decode(file: file, header: header, width: header.width, height: header.height)
    }

    /// 4:2:2 chroma and both kinds of CMYK decode to the same pixels as the 4:4:4 original.
    func testChromaSubsamplingAndCMYK() throws {
        let reference = try decode(JPEGFixtures.rgb444).image
        XCTAssertEqual([reference.width, reference.height], [64, 43])
        for (name, data) in [("4:2:2", JPEGFixtures.rgb422), ("Adobe CMYK", JPEGFixtures.cmykAdobe),
                             ("plain CMYK", JPEGFixtures.cmykPlain)] {
            let image = try decode(data).image
            let difference = image.meanDifference(from: reference)
            XCTAssertLessThan(difference, 3, "\(name) differs by \(difference)")
            XCTAssertEqual(image.pixel(5, 5).alpha, 0, "\(name) is opaque")
        }
        // Read the wrong way round, CMYK would be a negative: the test can tell.
        XCTAssertGreaterThan(try decode(JPEGFixtures.cmykAdobe).image.meanDifference(from: negative(of: reference)), 50)
    }

    private func negative(of image: GDImage) throws -> GDImage {
        let result = try GDImage(width: image.width, height: image.height)
        for y in 0 ..< image.height {
            for x in 0 ..< image.width { result.rows[y]![x] = ~image.rows[y]![x] & 0x00FF_FFFF }
        }
        return result
    }

    /// Shrink on load: 1280 px from a 6000-px photo decodes at 1/2 (2× headroom is left for
    /// the filter), 320 px at 1/8, 3000 px at full size; all match libgd's own full decode,
    /// reduced afterwards.
    func testDCTScalingAndReduction() throws {
        let url = photo("photos/albums/text/craft-beer.jpg")
        let header = try ImageHeader.read(file: url)
        let data = try Data(contentsOf: url)
        let full = GDImage(owning: try XCTUnwrap(data.withUnsafeBytes {
            gdImageCreateFromJpegPtr(Int32($0.count), UnsafeMutableRawPointer(mutating: $0.baseAddress))
        }))
        for (width, height, denominator) in [(1280, 853, 2), (320, 213, 8), (3000, 2000, 1)] {
            let decoded = try JPEGDecoder.decode(file: url, header: header, width: width, height: height)
            XCTAssertEqual(decoded.scaleDenominator, denominator)
            XCTAssertEqual([decoded.image.width, decoded.image.height], [width, height])
            let reference = try full.resized(width: width, height: height)
            let difference = decoded.image.meanDifference(from: reference)
            XCTAssertLessThan(difference, 3, "\(width)×\(height) differs by \(difference)")
            XCTAssertEqual(decoded.image.pixel(width / 2, height / 2).alpha, 0)
        }
        let landscape = photo("orientation/Landscape_6.jpg")
        let exif = try JPEGDecoder.decode(file: landscape, header: try ImageHeader.read(file: landscape), width: 100, height: 150).exif
        XCTAssertEqual(EXIFReader.read(try XCTUnwrap(exif)).orientation, .rotatedLeft)
    }

    /// Reduction keeps the picture in place: a sharp edge lands where it should.
    func testReductionIsCentred() throws {
        // A 4:4:4 JPEG whose left 300 of 600 columns are black: at 200 px the edge is at 100.
        let image = try GDImage(width: 600, height: 40)
        gdImageFilledRectangle(image.pointer, 0, 0, 599, 39, 0x00FF_FFFF)
        gdImageFilledRectangle(image.pointer, 0, 0, 299, 39, 0)
        var size: Int32 = 0
        let bytes = try XCTUnwrap(gdImageJpegPtr(image.pointer, &size, 95))
        let file = try write(Data(bytes: bytes, count: Int(size)), named: "edge.jpg", in: temporaryDirectory(for: self))
        gdFree(bytes)
        let reduced = try JPEGDecoder.decode(file: file, header: try ImageHeader.read(file: file), width: 200, height: 13).image
        XCTAssertLessThan(reduced.pixel(98, 6).r, 16)
        XCTAssertGreaterThan(reduced.pixel(101, 6).r, 239)
        XCTAssertEqual(reduced.pixel(99, 6).r + reduced.pixel(100, 6).r, 255, accuracy: 24, "symmetric about the edge")
    }

    /// A header that disagrees with what libjpeg reads is refused.
    func testHeaderMismatchIsRefused() throws {
        let url = photo("photos/albums/nature/silver_fir.jpg")
        let wrong = ImageHeaderInfo(format: .jpeg, width: 10, height: 10)
        XCTAssertThrowsError(try JPEGDecoder.decode(file: url, header: wrong, width: 10, height: 10))
    }
}
