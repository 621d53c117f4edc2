import Foundation
import GalleryCore
@testable import GalleryImaging
import XCTest

final class EXIFTests: XCTestCase {
    private func metadata(_ path: String) throws -> PhotoMetadata? {
        try Thumbnailer.make(file: photo(path), spec: ThumbnailSpec(placeholderSize: 0), maxPixels: 50_000_000).metadata
    }

    private func date(_ text: String) -> Date {
        ISO8601DateFormatter().date(from: text)!
    }

    func testCameraFields() throws {
        let m = try XCTUnwrap(try metadata("photos/metadata/gps-position/empty_gps.jpg"))
        XCTAssertEqual(m.cameraMake, "motorola")
        XCTAssertEqual(m.cameraModel, "moto g(9) plus")
        XCTAssertEqual(m.exposureTime, "1/40")
        XCTAssertEqual(try XCTUnwrap(m.fNumber), 1.8, accuracy: 0.001)
        XCTAssertEqual(m.iso, 234)
        XCTAssertEqual(try XCTUnwrap(m.focalLength), 5.53, accuracy: 0.001)
        XCTAssertEqual(m.takenAt, date("2025-06-01T16:59:26Z"))
        // Its GPS block is there but empty (0/0 rationals, blank references).
        XCTAssertNil(m.latitude)
        XCTAssertNil(m.longitude)
    }

    func testTrailingSpacesAndLens() throws {
        let falcon = try XCTUnwrap(try metadata("photos/albums/nature/prairie_falcon.jpg"))
        XCTAssertEqual(falcon.cameraMake, "Canon")
        XCTAssertEqual(falcon.cameraModel, "Canon EOS R5")
        XCTAssertEqual(falcon.exposureTime, "1/4000")
        XCTAssertEqual(falcon.focalLength, 500)
        XCTAssertEqual(falcon.iso, 1000)
        XCTAssertEqual(falcon.takenAt, date("2022-03-31T11:31:56Z"))
    }

    /// WebP keeps EXIF in a RIFF chunk of its own.
    func testEXIFInWebP() throws {
        let m = try XCTUnwrap(try metadata("photos/formats/denali.webp"))
        XCTAssertEqual(m.cameraModel, "Canon EOS 7D")
        XCTAssertEqual(m.lens, "EF28-80mm f/3.5-5.6 USM")
        XCTAssertEqual(m.exposureTime, "1/400")
        XCTAssertEqual(m.fNumber, 11)
        XCTAssertEqual(m.iso, 200)
        XCTAssertEqual(m.takenAt, date("2010-08-13T21:00:01Z"))
    }

    func testGPSPosition() throws {
        let m = try XCTUnwrap(try metadata("photos/metadata/gps-position/thompson-springs.jpg"))
        XCTAssertEqual(try XCTUnwrap(m.latitude), 39 + 6 / 60.0 + 54 / 3600.0, accuracy: 1e-6)
        XCTAssertEqual(try XCTUnwrap(m.longitude), -(108 + 24 / 60.0 + 3.486 / 3600.0), accuracy: 1e-6)
        // No EXIF date at all: the GPS fix's UTC date and time.
        XCTAssertEqual(m.takenAt, date("2022-01-10T21:15:33Z"))

        let sf = try XCTUnwrap(try metadata("photos/metadata/dates/gps-datetime.jpg"))
        XCTAssertEqual(try XCTUnwrap(sf.latitude), 37 + 46 / 60.0 + 29.64 / 3600.0, accuracy: 1e-6)
        XCTAssertEqual(try XCTUnwrap(sf.longitude), -(122 + 25 / 60.0 + 9.84 / 3600.0), accuracy: 1e-6)
        XCTAssertNil(sf.takenAt)
    }

    func testDates() throws {
        let both = try XCTUnwrap(try metadata("photos/metadata/dates/datetimeoriginal-gps.jpg"))
        XCTAssertEqual(both.takenAt, date("2025-12-01T11:30:00Z"))
        XCTAssertEqual(both.latitude, 39)
        XCTAssertEqual(both.longitude, -108)
        // DateTimeOriginal wins over DateTimeDigitized and a GPS date stamp.
        let priority = try XCTUnwrap(try metadata("photos/metadata/dates/date-priority-test.jpg"))
        XCTAssertEqual(priority.takenAt, date("2023-02-02T02:00:00Z"))
        // Only IPTC/XMP dates: nothing from EXIF, but the camera is known.
        let created = try XCTUnwrap(try metadata("photos/metadata/dates/time-created.jpg"))
        XCTAssertNil(created.takenAt)
        XCTAssertEqual(created.cameraModel, "EOS R5")
        // No EXIF at all.
        XCTAssertNil(try metadata("photos/albums/text/craft-beer.jpg"))
    }

    func testDateParsing() {
        XCTAssertEqual(EXIFDate.parse("2023:09:27 14:30:13", offset: "+02:00"), date("2023-09-27T12:30:13Z"))
        XCTAssertEqual(EXIFDate.parse("2023-09-27T14:30:13+02:00", offset: nil), date("2023-09-27T12:30:13Z"))
        XCTAssertEqual(EXIFDate.parse("2023:09:27 14:30:13 ", offset: nil), date("2023-09-27T14:30:13Z"))
        XCTAssertNil(EXIFDate.parse("0000:00:00 00:00:00", offset: nil))
        XCTAssertNil(EXIFDate.parse("    :  :     :  :  ", offset: nil))
        XCTAssertEqual(EXIFReader.formatExposure(0.025), "1/40")
        XCTAssertEqual(EXIFReader.formatExposure(2.5), "2.5")
        XCTAssertEqual(EXIFReader.formatExposure(1), "1")
    }

    func testDamagedEXIFIsIgnoredNotFatal() {
        XCTAssertEqual(EXIFReader.read(Array("Exif\0\0".utf8) + [0x4D, 0x4D, 0, 0x2A, 0xFF, 0xFF, 0xFF, 0xFF]), EXIFInfo())
        XCTAssertEqual(EXIFReader.read([]), EXIFInfo())
    }
}
