import Foundation
import GalleryCore
import GalleryImaging
import ImageInspection
import XCTest

final class ImageSnifferTests: XCTestCase {
    private func head(_ url: URL) throws -> [UInt8] {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        return [UInt8](try handle.read(upToCount: ImageSniffer.headLength) ?? Data())
    }

    /// Every photo in the test data, by what its extension promises.
    func testSniffsEveryTestPhoto() throws {
        let expected: [String: SniffResult] = [
            "jpg": .supported(.jpeg), "png": .supported(.png), "webp": .supported(.webp),
            "heic": .unsupported("HEIC"), "avif": .unsupported("AVIF"),
        ]
        let all = try files(under: "photos") + files(under: "orientation")
        XCTAssertGreaterThan(all.count, 40)
        for url in all {
            let want = try XCTUnwrap(expected[url.pathExtension.lowercased()], url.path)
            XCTAssertEqual(ImageSniffer.sniff(try head(url)), want, url.lastPathComponent)
        }
    }

    func testUnsupportedFormatsGetAClearMessage() throws {
        let heic = try head(photo("photos/formats/IMG_2682.heic"))
        XCTAssertThrowsError(try ImageSniffer.requireSupported(heic)) { error in
            guard case GalleryError.invalid(let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.hasPrefix("HEIC files are not supported"), message)
        }
    }

    /// The name says PNG; the bytes say HTML, and the bytes win.
    func testHTMLNamedPNGIsNotAnImage() throws {
        let html = Array("<!DOCTYPE html>\n<html><script>alert(1)</script></html>".utf8)
        XCTAssertEqual(ImageSniffer.sniff(html), .unsupported("HTML"))
        XCTAssertThrowsError(try ImageSniffer.requireSupported(html))

        let file = try write(Data(html), named: "cat.png", in: temporaryDirectory(for: self))
        XCTAssertThrowsError(try ImageHeader.read(file: file)) { error in
            guard case GalleryError.invalid = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try Thumbnailer.make(file: file, spec: ThumbnailSpec(), maxPixels: 50_000_000))
    }

    func testRecognisesOtherKinds() {
        let cases: [([UInt8], SniffResult)] = [
            (Array("II*\0".utf8) + [8, 0, 0, 0], .unsupported("TIFF")),
            ([0x4D, 0x4D, 0x00, 0x2A, 0, 0, 0, 8], .unsupported("TIFF")),
            (Array("%PDF-1.7\n".utf8), .unsupported("PDF")),
            (Array("\u{FEFF}  <?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\">".utf8), .unsupported("SVG")),
            (Array("<svg width=\"10\"".utf8), .unsupported("SVG")),
            (Array("<?xml version=\"1.0\"?><feed>".utf8), .unsupported("XML")),
            (Array("  <HTML lang=en>".utf8), .unsupported("HTML")),
            (Array("<!-- comment -->".utf8), .unsupported("HTML")),
            (Array("BM".utf8) + [0x36, 0, 0, 0, 0, 0, 0, 0, 0x36, 0, 0, 0, 40, 0, 0, 0], .unsupported("BMP")),
            (Array("8BPS".utf8) + [0, 1], .unsupported("Photoshop PSD")),
            (Array("RIFF".utf8) + [0, 0, 0, 0] + Array("AVI LIST".utf8), .unsupported("AVI video")),
            ([0, 0, 0, 0x14] + Array("ftypqt  ".utf8) + [0, 0, 0, 0] + Array("qt  ".utf8), .unsupported("QuickTime video")),
            ([0, 0, 0, 0x18] + Array("ftypmif1".utf8) + [0, 0, 0, 0] + Array("mif1heic".utf8), .unsupported("HEIC")),
            (Array("GIF89a".utf8) + [1, 0, 1, 0], .supported(.gif)),
            (Array("plain text, not an image".utf8), .unknown),
            ([], .unknown),
            ([0xFF, 0xD8], .unknown),  // too short to be a JPEG's start
        ]
        for (bytes, expected) in cases {
            XCTAssertEqual(ImageSniffer.sniff(bytes), expected, String(decoding: bytes, as: UTF8.self))
        }
    }
}
