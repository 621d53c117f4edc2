import Foundation
import GalleryCore
@testable import GalleryImaging
@testable import ImageInspection
import GalleryTestSupport
import XCTest

/// The copy others download: the position gone, everything else (pixels, camera facts) kept.
final class PositionStripperTests: XCTestCase {
    private func bytes(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: photo(path)))
    }

    /// What the worker would read from `file`: the pixels decode, and the EXIF facts.
    private func made(_ file: [UInt8], ext: String) throws -> ThumbnailSet {
        let url = try temporaryDirectory(for: self).appendingPathComponent("image.\(ext)")
        try Data(file).write(to: url)
        return try Thumbnailer.make(file: url, spec: ThumbnailSpec(placeholderSize: 0), maxPixels: 50_000_000)
    }

    private func stripped(_ outcome: PositionStripper.Outcome, file: StaticString = #filePath, line: UInt = #line) throws -> [UInt8] {
        guard case .stripped(let copy) = outcome else {
            XCTFail("expected a stripped copy, got \(outcome)", file: file, line: line)
            throw GalleryError.invalid("not stripped")
        }
        return copy
    }

    private func contains(_ haystack: [UInt8], _ text: String) -> Bool {
        let needle = Array(text.utf8)
        guard haystack.count >= needle.count else { return false }
        return (0 ... haystack.count - needle.count).contains { haystack[$0 ..< $0 + needle.count].elementsEqual(needle) }
    }

    /// The entropy-coded data from the first SOS marker on.
    private func scanData(_ jpeg: [UInt8]) -> ArraySlice<UInt8> {
        let start = (2 ..< jpeg.count - 1).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xDA }!
        return jpeg[start...]
    }

    func testJPEGLosesItsGPSBlockAndKeepsTheRest() throws {
        let original = try bytes("photos/metadata/gps-position/thompson-springs.jpg")
        XCTAssertNotNil(try made(original, ext: "jpg").metadata?.latitude, "the test photo must carry a position")

        let copy = try stripped(PositionStripper.strip(original, format: .jpeg))
        // Blanked in place: same length, same scan data, so the same pixels.
        XCTAssertEqual(copy.count, original.count)
        XCTAssertEqual(scanData(copy), scanData(original))
        let before = try made(original, ext: "jpg"), after = try made(copy, ext: "jpg")
        XCTAssertNil(after.metadata?.latitude)
        XCTAssertNil(after.metadata?.longitude)
        XCTAssertEqual(after.preview.data, before.preview.data)
        // This photo's only EXIF is GPS (its date came from the GPS time stamp).
        XCTAssertNil(after.metadata)

        // A second pass finds nothing left.
        XCTAssertEqual(PositionStripper.strip(copy, format: .jpeg), .nothingFound)
    }

    /// A phone photo: the camera facts, date and orientation stay exactly as they were.
    func testCameraFactsSurvive() throws {
        let original = try bytes("photos/metadata/gps-position/empty_gps.jpg")
        let copy = try stripped(PositionStripper.strip(original, format: .jpeg))
        XCTAssertEqual(copy.count, original.count)
        let before = try XCTUnwrap(try made(original, ext: "jpg").metadata)
        XCTAssertEqual(try made(copy, ext: "jpg").metadata, before)
        XCTAssertEqual(before.cameraModel, "moto g(9) plus")
        XCTAssertEqual(PositionStripper.strip(copy, format: .jpeg), .nothingFound)
    }

    func testXMPThatNamesGPSIsDropped() throws {
        let original = try bytes("photos/metadata/dates/gps-datetime.jpg")
        XCTAssertTrue(contains(original, "exif:GPS") || contains(original, "GPSTimeStamp"))
        let copy = try stripped(PositionStripper.strip(original, format: .jpeg))
        XCTAssertFalse(contains(copy, "GPS"), "no GPS field may be left in EXIF or XMP")
        XCTAssertFalse(contains(copy, "http://ns.adobe.com/xap/1.0/"))
        XCTAssertEqual(scanData(copy), scanData(original))
        XCTAssertNil(try made(copy, ext: "jpg").metadata?.latitude)
    }

    func testPhotosWithoutPositionAreLeftAlone() throws {
        for path in ["photos/albums/text/craft-beer.jpg", "photos/albums/nature/cyclamen_persicum.jpg",
                     "photos/formats/denali.webp", "photos/formats/density_plot.png"] {
            let format = try XCTUnwrap(ImageFormat(rawValue: path.hasSuffix(".jpg") ? "jpeg" : String(path.split(separator: ".").last!)))
            XCTAssertEqual(PositionStripper.strip(try bytes(path), format: format), .nothingFound, path)
        }
    }

    /// Orientation and the other IFD0 entries after the GPS pointer must survive its removal.
    func testEntriesAfterTheGPSPointerSurvive() throws {
        let original = try bytes("photos/metadata/dates/datetimeoriginal-gps.jpg")
        let copy = try stripped(PositionStripper.strip(original, format: .jpeg))
        let before = try XCTUnwrap(try made(original, ext: "jpg").metadata)
        let after = try XCTUnwrap(try made(copy, ext: "jpg").metadata)
        XCTAssertNotNil(before.latitude)
        XCTAssertNil(after.latitude)
        XCTAssertEqual(after.takenAt, before.takenAt)
        XCTAssertEqual(after.cameraModel, before.cameraModel)
    }

    /// denali.webp with a phone's EXIF (and a position) in place of its own.
    func testWebPEXIFChunkIsBlankedAndTheFileStaysValid() throws {
        for (source, keepsModel) in [("photos/metadata/gps-position/thompson-springs.jpg", nil),
                                     ("photos/metadata/gps-position/empty_gps.jpg", "moto g(9) plus")] {
            let tiff = try XCTUnwrap(exifTIFF(ofJPEG: try bytes(source)))
            let webp = try replaceChunk("EXIF", in: try bytes("photos/formats/denali.webp"), with: tiff)
            let copy = try stripped(PositionStripper.strip(webp, format: .webp))
            XCTAssertEqual(copy.count, webp.count)
            let after = try made(copy, ext: "webp")
            XCTAssertNil(after.metadata?.latitude)
            XCTAssertEqual(after.metadata?.cameraModel, keepsModel)
            XCTAssertEqual(PositionStripper.strip(copy, format: .webp), .nothingFound)
        }
        let withPosition = try replaceChunk("EXIF", in: try bytes("photos/formats/denali.webp"),
                                            with: try XCTUnwrap(exifTIFF(ofJPEG: try bytes("photos/metadata/gps-position/thompson-springs.jpg"))))
        XCTAssertNotNil(try made(withPosition, ext: "webp").metadata?.latitude, "the sample must carry a position")
    }

    func testWebPXMPWithGPSIsDroppedAndTheHeaderFixed() throws {
        var webp = try bytes("photos/formats/denali.webp")
        webp = try replaceChunk("XMP ", in: webp, with: Array("<x:xmpmeta><exif:GPSLatitude>39,6.9N</exif:GPSLatitude></x:xmpmeta>".utf8))
        let copy = try stripped(PositionStripper.strip(webp, format: .webp))
        XCTAssertFalse(contains(copy, "GPS"))
        let riff = Int(copy[4]) | Int(copy[5]) << 8 | Int(copy[6]) << 16 | Int(copy[7]) << 24
        XCTAssertEqual(riff, copy.count - 8)
        XCTAssertEqual(copy[20] & 0x04, 0, "VP8X must no longer announce XMP")
        XCTAssertNoThrow(try made(copy, ext: "webp"))
    }

    func testPNGLosesEXIFAndXMPChunks() throws {
        let png = try bytes("photos/formats/density_plot.png")
        let tiff = try XCTUnwrap(exifTIFF(ofJPEG: try bytes("photos/metadata/gps-position/thompson-springs.jpg")))
        var withEXIF = Array(png[0 ..< 33])  // signature + IHDR
        withEXIF += pngChunk("eXIf", tiff)
        withEXIF += pngChunk("iTXt", Array("XML:com.adobe.xmp".utf8) + [0, 0, 0, 0, 0] + Array("<exif:GPSLatitude/>".utf8))
        withEXIF += pngChunk("tEXt", Array("Comment".utf8) + [0] + Array("kept".utf8))
        withEXIF += png[33...]
        XCTAssertNotNil(try made(withEXIF, ext: "png").metadata?.latitude)

        let copy = try stripped(PositionStripper.strip(withEXIF, format: .png))
        XCTAssertFalse(contains(copy, "eXIf"))
        XCTAssertFalse(contains(copy, "GPS"))
        XCTAssertTrue(contains(copy, "kept"))
        XCTAssertEqual(copy.count, png.count + 12 + 7 + 1 + 4, "only the comment chunk is added to the original")
        XCTAssertNil(try made(copy, ext: "png").metadata)
    }

    func testGIFLosesXMPWithGPS() throws {
        // A 1×1 GIF89a: header, screen with a 2-colour table, the XMP extension, one image.
        let head: [UInt8] = Array("GIF89a".utf8) + [1, 0, 1, 0, 0x80, 0, 0, 0, 0, 0, 255, 255, 255]
        let xmpText = Array("<exif:GPSLatitude>1</exif:GPSLatitude>".utf8)
        let xmp: [UInt8] = [0x21, 0xFF, 11] + Array("XMP DataXMP".utf8) + [UInt8(xmpText.count)] + xmpText + [0]
        let image: [UInt8] = [0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 0x01, 0, 0x3B]
        let gif = head + xmp + image
        let copy = try stripped(PositionStripper.strip(gif, format: .gif))
        XCTAssertEqual(copy, head + image)
        XCTAssertNoThrow(try made(copy, ext: "gif"))
        XCTAssertEqual(PositionStripper.strip(copy, format: .gif), .nothingFound)
    }

    /// A GPS pointer that leads outside the block: the whole EXIF segment goes, since what it
    /// holds cannot be known.
    func testUnfollowableEXIFIsDroppedWhole() throws {
        var jpeg = try bytes("photos/metadata/gps-position/thompson-springs.jpg")
        let tiffStart = try XCTUnwrap(exifTIFFStart(jpeg))
        let little = jpeg[tiffStart] == 0x49
        func u16(_ at: Int) -> Int { little ? Int(jpeg[at]) | Int(jpeg[at + 1]) << 8 : Int(jpeg[at]) << 8 | Int(jpeg[at + 1]) }
        func u32(_ at: Int) -> Int { little ? u16(at) | u16(at + 2) << 16 : u16(at) << 16 | u16(at + 2) }
        let ifd0 = tiffStart + u32(tiffStart + 4)
        let index = try XCTUnwrap((0 ..< u16(ifd0)).first { u16(ifd0 + 2 + 12 * $0) == 0x8825 })
        let pointer = ifd0 + 2 + 12 * index + 8
        for k in 0 ..< 4 { jpeg[pointer + k] = 0xFF }

        let copy = try stripped(PositionStripper.strip(jpeg, format: .jpeg))
        XCTAssertNil(exifTIFF(ofJPEG: copy))
        XCTAssertNil(try made(copy, ext: "jpg").metadata)
    }

    func testBrokenContainersAreUnreadable() {
        XCTAssertEqual(PositionStripper.strip([0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF, 0], format: .jpeg), .unreadable)
        XCTAssertEqual(PositionStripper.strip(Array("GIF89a".utf8), format: .gif), .unreadable)
        XCTAssertEqual(PositionStripper.strip([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 99], format: .png), .unreadable)
    }

    /// Seeded corruption of real files: the stripper must never trap (it runs on untrusted
    /// bytes), and a copy is never longer than its original.
    func testCorruptedFilesNeverTrap() throws {
        var rng = SplitMix64(seed: 0x5EED)
        let samples: [(String, ImageFormat)] = [
            ("photos/metadata/gps-position/thompson-springs.jpg", .jpeg),
            ("photos/metadata/dates/gps-datetime.jpg", .jpeg),
            ("photos/formats/denali.webp", .webp),
        ]
        for (path, format) in samples {
            let original = try bytes(path)
            let header = min(original.count, 16_384)  // where the metadata lives
            for _ in 0 ..< 400 {
                var mutated = original
                for _ in 0 ..< Int(rng.next() % 8 + 1) {
                    mutated[Int(rng.next() % UInt64(header))] = UInt8(truncatingIfNeeded: rng.next())
                }
                if rng.next() % 4 == 0 { mutated.removeLast(Int(rng.next() % UInt64(mutated.count))) }
                if case .stripped(let copy) = PositionStripper.strip(mutated, format: format) {
                    XCTAssertLessThanOrEqual(copy.count, mutated.count)
                }
            }
        }
    }

    // MARK: Helpers

    private func exifTIFFStart(_ jpeg: [UInt8]) -> Int? {
        var i = 2
        while i + 4 <= jpeg.count, jpeg[i] == 0xFF, jpeg[i + 1] != 0xDA {
            let length = Int(jpeg[i + 2]) << 8 | Int(jpeg[i + 3])
            if jpeg[i + 1] == 0xE1, jpeg[(i + 4)...].starts(with: Array("Exif".utf8) + [0, 0]) { return i + 10 }
            i += 2 + length
        }
        return nil
    }

    private func exifTIFF(ofJPEG jpeg: [UInt8]) -> [UInt8]? {
        guard let start = exifTIFFStart(jpeg) else { return nil }
        let length = Int(jpeg[start - 8]) << 8 | Int(jpeg[start - 7])
        return Array(jpeg[start ..< start - 8 + length])
    }

    private func replaceChunk(_ type: String, in webp: [UInt8], with data: [UInt8]) throws -> [UInt8] {
        var out = Array(webp[0 ..< 12])
        var i = 12
        var replaced = false
        while i + 8 <= webp.count {
            let length = Int(webp[i + 4]) | Int(webp[i + 5]) << 8 | Int(webp[i + 6]) << 16 | Int(webp[i + 7]) << 24
            let end = i + 8 + length + (length & 1)
            if webp[i ..< i + 4].elementsEqual(type.utf8) {
                let n = UInt32(data.count)
                out += Array(type.utf8) + [UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 24)] + data
                if data.count & 1 == 1 { out.append(0) }
                replaced = true
            } else {
                out += webp[i ..< end]
            }
            i = end
        }
        guard replaced else { throw GalleryError.invalid("no \(type) chunk in the sample") }
        let riff = UInt32(out.count - 8)
        for k in 0 ..< 4 { out[4 + k] = UInt8(truncatingIfNeeded: riff >> (8 * UInt32(k))) }
        return out
    }
}
