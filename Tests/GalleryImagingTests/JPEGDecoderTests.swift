import Foundation
import GalleryCore
@testable import GalleryImaging
import ImageInspection
import XCTest

final class JPEGDecoderTests: XCTestCase {
    private func decode(_ data: Data, minimumLongestEdge: Int = .max) throws -> JPEGDecoder.Decoded {
        let file = try write(data, named: "fixture.jpg", in: temporaryDirectory(for: self))
        return try JPEGDecoder.decode(file: file, header: try ImageHeader.read(file: file), minimumLongestEdge: minimumLongestEdge)
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

    /// Shrink on load: 1/2 for a 2560-px minimum on a 6000-px photo, with EXIF kept.
    func testDCTScaling() throws {
        let url = photo("photos/albums/text/craft-beer.jpg")
        let header = try ImageHeader.read(file: url)
        let half = try JPEGDecoder.decode(file: url, header: header, minimumLongestEdge: 2560)
        XCTAssertEqual(half.scaleDenominator, 2)
        XCTAssertEqual([half.image.width, half.image.height], [3000, 2000])
        let eighth = try JPEGDecoder.decode(file: url, header: header, minimumLongestEdge: 700)
        XCTAssertEqual([eighth.image.width, eighth.image.height], [750, 500])
        // The eighth-scale decode is the half-scale one, smaller.
        let shrunk = try half.image.resized(width: 750, height: 500)
        XCTAssertLessThan(eighth.image.meanDifference(from: shrunk), 4)

        let exif = try JPEGDecoder.decode(file: photo("orientation/Landscape_6.jpg"),
                                          header: try ImageHeader.read(file: photo("orientation/Landscape_6.jpg")),
                                          minimumLongestEdge: 100).exif
        XCTAssertEqual(EXIFReader.read(try XCTUnwrap(exif)).orientation, .rotatedLeft)
    }

    /// A header that disagrees with what libjpeg reads is refused.
    func testHeaderMismatchIsRefused() throws {
        let url = photo("photos/albums/nature/silver_fir.jpg")
        let wrong = ImageHeaderInfo(format: .jpeg, width: 10, height: 10)
        XCTAssertThrowsError(try JPEGDecoder.decode(file: url, header: wrong, minimumLongestEdge: 100))
    }
}
