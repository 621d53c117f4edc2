import CLCMS2
import CZlib
import Foundation
import GalleryCore
@testable import GalleryImaging
import ImageInspection
import XCTest

/// Photos tagged with a profile other than sRGB are converted to sRGB; sRGB ones are left alone.
final class ColourProfileTests: XCTestCase {
    // MARK: Profiles made for the tests (no test photo is tagged other than sRGB)

    /// Display P3: P3 primaries, D65 white, the sRGB tone curve.
    static let displayP3 = rgbProfile(red: (0.680, 0.320), green: (0.265, 0.690), blue: (0.150, 0.060))

    /// An RGB profile with these primaries (xy), D65 white and the sRGB tone curve.
    static func rgbProfile(red: (Double, Double), green: (Double, Double), blue: (Double, Double)) -> [UInt8] {
        var white = cmsCIExyY(x: 0.3127, y: 0.3290, Y: 1)
        var primaries = cmsCIExyYTRIPLE(Red: cmsCIExyY(x: red.0, y: red.1, Y: 1), Green: cmsCIExyY(x: green.0, y: green.1, Y: 1),
                                        Blue: cmsCIExyY(x: blue.0, y: blue.1, Y: 1))
        let params: [cmsFloat64Number] = [2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045]
        let curve = cmsBuildParametricToneCurve(nil, 4, params)
        defer { cmsFreeToneCurve(curve) }
        var curves: [OpaquePointer?] = [curve, curve, curve]
        let profile = cmsCreateRGBProfile(&white, &primaries, &curves)!
        defer { cmsCloseProfile(profile) }
        return save(profile)
    }

    static func save(_ profile: cmsHPROFILE) -> [UInt8] {
        var size: cmsUInt32Number = 0
        cmsSaveProfileToMem(profile, nil, &size)
        var bytes = [UInt8](repeating: 0, count: Int(size))
        cmsSaveProfileToMem(profile, &bytes, &size)
        return bytes
    }

    private let p3 = ColourProfile(bytes: ColourProfileTests.displayP3)!

    /// What the thumbnailer finds: for JPEG through libjpeg-turbo, for the others our parser.
    private func profile(of data: Data, format: ImageFormat) throws -> ColourProfile? {
        guard format == .jpeg else { return ColourProfile.embedded(in: data, format: format) }
        let file = try temporaryDirectory(for: self).appendingPathComponent("tagged.jpg")
        try data.write(to: file)
        let header = try ImageHeader.read(file: file)
        let decoded = try JPEGDecoder.decode(file: file, header: header, width: header.width / 8, height: header.height / 8)
        return decoded.iccProfile.flatMap(ColourProfile.init(bytes:))
    }

    private func image(_ pixels: [(Int, Int, Int)]) throws -> GDImage {
        let image = try GDImage(width: pixels.count, height: 1)
        for (x, p) in pixels.enumerated() { image.rows[0]![x] = Int32(p.0 << 16 | p.1 << 8 | p.2) }
        return image
    }

    private func rgb(_ image: GDImage, _ x: Int, _ y: Int = 0) -> [Int] {
        let v = Int(image.rows[y]![x])
        return [v >> 16 & 0xFF, v >> 8 & 0xFF, v & 0xFF]
    }

    // MARK: Conversion

    /// Against the arithmetic: decode the sRGB curve, the linear P3 → sRGB matrix of CSS
    /// Color 4 (same D65 white), clip, encode.
    func testDisplayP3BecomesTheSameColoursInSRGB() throws {
        let pixels = [(200, 100, 50), (128, 128, 128), (60, 160, 220), (255, 0, 0), (20, 200, 90)]
        let converted = try image(pixels)
        XCTAssertTrue(p3.convertToSRGB(converted))
        func decode(_ v: Int) -> Double {
            let c = Double(v) / 255
            return c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4)
        }
        func encode(_ l: Double) -> Int {
            let c = min(1, max(0, l))
            return Int(((c <= 0.0031308 ? c * 12.92 : 1.055 * pow(c, 1 / 2.4) - 0.055) * 255).rounded())
        }
        let m = [[1.2249401, -0.2249404, 0.0], [-0.0420569, 1.0420571, 0.0], [-0.0196376, -0.0786361, 1.0982735]]
        for (x, p) in pixels.enumerated() {
            let linear = [decode(p.0), decode(p.1), decode(p.2)]
            let expected = m.map { row in encode(zip(row, linear).map(*).reduce(0, +)) }
            let got = rgb(converted, x)
            for c in 0 ..< 3 {
                XCTAssertEqual(got[c], expected[c], accuracy: 2, "pixel \(p): got \(got), expected \(expected)")
            }
        }
        XCTAssertEqual(rgb(converted, 1), [128, 128, 128], "grey stays grey: same white point")
    }

    func testAlphaIsKept() throws {
        let pixel = try image([(200, 100, 50)])
        pixel.rows[0]![0] |= Int32(90) << 24
        p3.convertToSRGB(pixel)
        XCTAssertEqual(pixel.rows[0]![0] >> 24 & 0x7F, 90)
    }

    /// Every profile of the test photos is some issue of sRGB (IEC 61966-2.1, a compact "c2",
    /// an ICC v4 one): recognised, and nothing is touched.
    func testTheTestPhotosSRGBProfilesAreLeftAlone() throws {
        let tagged = ["photos/albums/nature/silver_fir.jpg", "photos/albums/text/craft-beer.jpg",
                      "photos/metadata/gps-position/thompson-springs.jpg", "photos/formats/denali.webp"]
        for path in tagged {
            let format: ImageFormat = path.hasSuffix(".webp") ? .webp : .jpeg
            let profile = try XCTUnwrap(try profile(of: Data(contentsOf: photo(path)), format: format), path)
            let pixels = try image([(200, 100, 50), (10, 240, 30)])
            XCTAssertFalse(profile.convertToSRGB(pixels), path)
            XCTAssertEqual(rgb(pixels, 0), [200, 100, 50], path)
        }
        XCTAssertNil(try profile(of: Data(contentsOf: photo("photos/albums/nature/prairie_falcon.jpg")), format: .jpeg))
    }

    /// sRGB in all but its bytes (primaries off by a thousandth, another name): the transform
    /// changes no colour by more than a level, so nothing is converted.
    func testAProfileThatActsAsSRGBChangesNothing() throws {
        let almostSRGB = Self.rgbProfile(red: (0.641, 0.330), green: (0.300, 0.601), blue: (0.150, 0.061))
        let pixels = try image([(200, 100, 50)])
        XCTAssertFalse(ColourProfile(bytes: almostSRGB)!.convertToSRGB(pixels))
        XCTAssertEqual(rgb(pixels, 0), [200, 100, 50])
    }

    func testProfilesThatAreNotRGBOrNotProfilesChangeNothing() throws {
        let grey = cmsCreateGrayProfile(cmsD50_xyY(), cmsBuildGamma(nil, 2.2))!
        defer { cmsCloseProfile(grey) }
        for bytes in [Self.save(grey), Array("not a profile at all".utf8)] {
            let pixels = try image([(200, 100, 50)])
            XCTAssertFalse(try XCTUnwrap(ColourProfile(bytes: bytes)).convertToSRGB(pixels))
            XCTAssertEqual(rgb(pixels, 0), [200, 100, 50])
        }
    }

    // MARK: Finding the profile

    /// A real photo re-tagged as Display P3, its profile split over two APP2 segments as
    /// writers do past 64 kB.
    private func p3JPEG(_ path: String, parts: [Int] = [1, 2], count: Int = 2) throws -> Data {
        let jpeg = [UInt8](try Data(contentsOf: photo(path)))
        let half = Self.displayP3.count / 2
        let pieces = [Array(Self.displayP3[..<half]), Array(Self.displayP3[half...])]
        var segments: [UInt8] = []
        for sequence in parts {
            let payload = Array("ICC_PROFILE".utf8) + [0, UInt8(sequence), UInt8(count)] + pieces[sequence - 1]
            let length = payload.count + 2
            segments += [0xFF, 0xE2, UInt8(length >> 8), UInt8(length & 0xFF)] + payload
        }
        return Data(jpeg[0 ..< 2] + segments + jpeg[2...])
    }

    func testJPEGProfileInSeveralSegments() throws {
        let tagged = try p3JPEG("photos/albums/nature/prairie_falcon.jpg")
        XCTAssertEqual(try profile(of: tagged, format: .jpeg)?.bytes, Self.displayP3)
        XCTAssertNil(try profile(of: try p3JPEG("photos/albums/nature/prairie_falcon.jpg", parts: [2]), format: .jpeg),
                     "a missing part: no profile rather than a wrong one")
        XCTAssertNil(try profile(of: try p3JPEG("photos/albums/nature/prairie_falcon.jpg", parts: [1, 1]), format: .jpeg))
    }

    func testPNGProfileIsInflated() throws {
        var compressed = [UInt8](repeating: 0, count: Self.displayP3.count + 1024)
        var size = uLong(compressed.count)
        XCTAssertEqual(compress(&compressed, &size, Self.displayP3, uLong(Self.displayP3.count)), Z_OK)
        let data = Array("Display P3".utf8) + [0, 0] + compressed[0 ..< Int(size)]
        let png = [UInt8](try Data(contentsOf: photo("photos/formats/density_plot.png")))
        var chunk = [UInt8(data.count >> 24), UInt8(data.count >> 16 & 0xFF), UInt8(data.count >> 8 & 0xFF), UInt8(data.count & 0xFF)]
        chunk += Array("iCCP".utf8) + data + [0, 0, 0, 0]  // the CRC is not ours to check here
        let tagged = Data(png[0 ..< 33] + chunk + png[33...])
        XCTAssertEqual(ColourProfile.embedded(in: tagged, format: .png)?.bytes, Self.displayP3)
        XCTAssertNil(ColourProfile.inflate(Array(compressed[0 ..< Int(size) - 8]), limit: 1 << 20), "cut short")
        XCTAssertNil(ColourProfile.inflate(Array(compressed[0 ..< Int(size)]), limit: 100), "past the limit")
    }

    // MARK: In the thumbnailer

    /// The derivatives of a P3-tagged photo are those of the untagged photo converted: the
    /// conversion is wired in, after resizing, on every derivative.
    func testThumbnailsOfAP3PhotoAreConverted() throws {
        let directory = try temporaryDirectory(for: self)
        let plain = photo("photos/albums/nature/prairie_falcon.jpg")
        let tagged = directory.appendingPathComponent("p3.jpg")
        try p3JPEG("photos/albums/nature/prairie_falcon.jpg").write(to: tagged)
        let lossless = ThumbnailSpec(quality: 101, placeholderSize: 0)
        let before = try Thumbnailer.make(file: plain, spec: lossless, maxPixels: 50_000_000)
        let after = try Thumbnailer.make(file: tagged, spec: lossless, maxPixels: 50_000_000)
        func decoded(_ e: EncodedImage) throws -> GDImage {
            try GDDecoder.decode(e.data, header: try ImageHeader.read(bytes: [UInt8](e.data)))
        }
        // The preview is the untagged preview converted, exactly (lossless WebP).
        let expected = try decoded(before.preview)
        XCTAssertTrue(p3.convertToSRGB(expected))
        let got = try decoded(after.preview)
        XCTAssertEqual([got.width, got.height], [expected.width, expected.height])
        var changed = 0
        let untagged = try decoded(before.preview)
        for y in 0 ..< got.height {
            for x in 0 ..< got.width {
                XCTAssertEqual(rgb(got, x, y), rgb(expected, x, y))
                if rgb(got, x, y) != rgb(untagged, x, y) { changed += 1 }
                if rgb(got, x, y) != rgb(expected, x, y) { return }  // one failure is enough
            }
        }
        XCTAssertGreaterThan(changed, got.width * got.height / 4, "the colours did change")
        // The thumbnail is made from the converted preview: close to the untagged one converted.
        let thumbExpected = try decoded(before.thumbnail)
        p3.convertToSRGB(thumbExpected)
        let thumb = try decoded(after.thumbnail)
        var total = 0
        for y in 0 ..< thumb.height {
            for x in 0 ..< thumb.width { total += zip(rgb(thumb, x, y), rgb(thumbExpected, x, y)).map { abs($0 - $1) }.reduce(0, +) }
        }
        XCTAssertLessThan(Double(total) / Double(3 * thumb.width * thumb.height), 1.0)
    }
}
