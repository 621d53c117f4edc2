import CGD
import Foundation
import GalleryCore
@testable import GalleryImaging
import ImageInspection
import GalleryTestSupport
import XCTest

final class ThumbnailerTests: XCTestCase {
    private let spec = ThumbnailSpec(thumbnailSize: 320, previewSize: 1280, quality: 80, placeholderSize: 24)

    private func isWebP(_ data: Data) -> Bool {
        ImageSniffer.sniff([UInt8](data.prefix(64))) == .supported(.webp)
    }

    func testLargePhotosGetWebPOfTheRightSize() throws {
        let cases: [(String, (Int, Int), (Int, Int))] = [
            ("photos/albums/text/craft-beer.jpg", (1280, 853), (320, 213)),          // 6000×4000
            ("photos/albums/text/book-beside-flowers.jpg", (960, 1280), (240, 320)),  // 3024×4032
            ("photos/albums/text/japanese-shop.jpg", (1280, 855), (320, 214)),        // 4217×2817
        ]
        for (path, preview, thumbnail) in cases {
            let set = try Thumbnailer.make(file: photo(path), spec: spec, maxPixels: 50_000_000)
            XCTAssertTrue(isWebP(set.preview.data) && isWebP(set.thumbnail.data), path)
            XCTAssertEqual(set.preview.width, preview.0, path)
            XCTAssertEqual(set.preview.height, preview.1, path)
            XCTAssertEqual(set.thumbnail.width, thumbnail.0, path)
            XCTAssertEqual(set.thumbnail.height, thumbnail.1, path)
            // The 2x thumbnail for HiDPI screens: twice the edge, the same shape.
            let large = try XCTUnwrap(set.thumbnail2x, path)
            XCTAssertTrue(isWebP(large.data), path)
            XCTAssertEqual(max(large.width, large.height), 640, path)
            XCTAssertEqual(Double(large.width) / Double(large.height),
                           Double(thumbnail.0) / Double(thumbnail.1), accuracy: 0.01, path)
            _ = try pixels(of: set.preview)  // decodes, at the size it claims
            _ = try pixels(of: set.thumbnail)
            _ = try pixels(of: large)
            let placeholder = try XCTUnwrap(set.placeholder)
            XCTAssertTrue(placeholder.hasPrefix("data:image/webp;base64,"))
            XCTAssertLessThan(placeholder.utf8.count, 1024, "small enough to inline 24 per page")
            let tiny = try pixels(of: try XCTUnwrap(Data(base64Encoded: String(placeholder.dropFirst(23)))))
            XCTAssertEqual(max(tiny.width, tiny.height), 24)
        }
    }

    /// The preview looks like the photo: compared with libgd's own full decode, reduced after
    /// decoding rather than while.
    func testPreviewMatchesTheFullDecode() throws {
        let url = photo("photos/albums/text/handwritten-notes.jpg")
        let set = try Thumbnailer.make(file: url, spec: spec, maxPixels: 50_000_000)
        let data = try Data(contentsOf: url)
        let full = GDImage(owning: try XCTUnwrap(data.withUnsafeBytes {
            gdImageCreateFromJpegPtr(Int32($0.count), UnsafeMutableRawPointer(mutating: $0.baseAddress))
        }))
        let reference = try full.resized(width: set.preview.width, height: set.preview.height)
        let difference = try pixels(of: set.preview).meanDifference(from: reference)
        XCTAssertLessThan(difference, 3, "mean difference per channel")
    }

    func testSmallImagesAreNotUpscaled() throws {
        for url in try files(under: "photos/albums/nature") {
            let header = try ImageHeader.read(file: url)
            let set = try Thumbnailer.make(file: url, spec: spec, maxPixels: 50_000_000)
            XCTAssertEqual(set.preview.width, header.width, url.lastPathComponent)
            XCTAssertEqual(set.preview.height, header.height, url.lastPathComponent)
            XCTAssertEqual(max(set.thumbnail.width, set.thumbnail.height), 320, url.lastPathComponent)
            let aspect = Double(header.width) / Double(header.height)
            XCTAssertEqual(Double(set.thumbnail.width) / Double(set.thumbnail.height), aspect, accuracy: 0.01)
        }
        // Smaller than even the thumbnail: every size is the original's.
        let tiny = try Thumbnailer.make(file: photo("photos/metadata/dates/gps-datetime.jpg"), spec: spec, maxPixels: 50_000_000)
        XCTAssertEqual([tiny.preview.width, tiny.preview.height, tiny.thumbnail.width, tiny.thumbnail.height], [100, 100, 100, 100])
        XCTAssertNil(tiny.thumbnail2x, "nothing sharper to show than the thumbnail itself")
    }

    func testOtherFormats() throws {
        let webp = try Thumbnailer.make(file: photo("photos/formats/denali.webp"), spec: spec, maxPixels: 50_000_000)
        XCTAssertEqual([webp.preview.width, webp.preview.height, webp.thumbnail.width, webp.thumbnail.height], [600, 315, 320, 168])
        let png = try Thumbnailer.make(file: photo("photos/formats/density_plot.png"), spec: spec, maxPixels: 50_000_000)
        XCTAssertEqual([png.preview.width, png.thumbnail.width, png.thumbnail.height], [800, 320, 320])
        for unsupported in ["photos/formats/IMG_2682.heic", "photos/formats/8bit-sRGB.avif"] {
            XCTAssertThrowsError(try Thumbnailer.make(file: photo(unsupported), spec: spec, maxPixels: 50_000_000)) { error in
                guard case GalleryError.invalid(let message) = error else { return XCTFail("\(error)") }
                XCTAssertTrue(message.contains("not supported"), message)
            }
        }
    }

    /// Every orientation of the same photo gives the same upright picture as orientation 1.
    func testAllEightOrientations() throws {
        let small = ThumbnailSpec(thumbnailSize: 64, previewSize: 240, quality: 90, placeholderSize: 0)
        for name in ["Landscape", "Portrait"] {
            let upright = try Thumbnailer.make(file: photo("orientation/\(name)_1.jpg"), spec: small, maxPixels: 50_000_000)
            let reference = try pixels(of: upright.preview)
            XCTAssertEqual(upright.preview.width > upright.preview.height, name == "Landscape")
            for n in [0, 2, 3, 4, 5, 6, 7, 8] {
                let set = try Thumbnailer.make(file: photo("orientation/\(name)_\(n).jpg"), spec: small, maxPixels: 50_000_000)
                XCTAssertEqual(set.preview.width, upright.preview.width, "\(name)_\(n)")
                XCTAssertEqual(set.preview.height, upright.preview.height, "\(name)_\(n)")
                let difference = try pixels(of: set.preview).meanDifference(from: reference)
                XCTAssertLessThan(difference, 4, "\(name)_\(n) differs from \(name)_1 by \(difference)")
            }
            // The measure tells pictures apart: the upright one against itself mirrored.
            let mirrored = try pixels(of: upright.preview)
            gdImageFlipHorizontal(mirrored.pointer)
            XCTAssertGreaterThan(mirrored.meanDifference(from: reference), 20)
        }
    }

    /// A grey JPEG stored sideways (orientation 6) comes out upright, grey and 840×700.
    func testGreyJPEGWithOrientation() throws {
        let set = try Thumbnailer.make(file: photo("photos/metadata/faces/portrait-orientation-6.jpg"), spec: spec, maxPixels: 50_000_000)
        XCTAssertEqual([set.preview.width, set.preview.height], [840, 700])
        let preview = try pixels(of: set.preview)
        let p = preview.pixel(420, 350)
        XCTAssertEqual(p.r, p.g, accuracy: 3)
        XCTAssertEqual(p.g, p.b, accuracy: 3)
        // Same picture as the upright colour original, as far as grey allows.
        let upright = try pixels(of: try Thumbnailer.make(file: photo("photos/metadata/faces/portrait.jpg"), spec: spec, maxPixels: 50_000_000).preview)
        gdImageGrayScale(upright.pointer)
        XCTAssertLessThan(preview.meanDifference(from: upright), 12)
    }

    func testPNGAlphaIsKept() throws {
        let image = try GDImage(width: 400, height: 200)
        gdImageFilledRectangle(image.pointer, 0, 0, 399, 199, 0x7F00_0000)     // transparent
        gdImageFilledRectangle(image.pointer, 0, 0, 199, 199, 0x00FF_0000)     // opaque red, left half
        gdImageFilledRectangle(image.pointer, 300, 0, 399, 199, 0x4000_00FF)   // half-transparent blue
        let file = try write(image.png(), named: "alpha.png", in: temporaryDirectory(for: self))
        let set = try Thumbnailer.make(file: file, spec: ThumbnailSpec(thumbnailSize: 100, previewSize: 200, quality: 90),
                                       maxPixels: 50_000_000)
        XCTAssertEqual([set.thumbnail.width, set.thumbnail.height], [100, 50])
        let thumbnail = try pixels(of: set.thumbnail)
        XCTAssertEqual(thumbnail.pixel(20, 25).alpha, 0)
        XCTAssertGreaterThan(thumbnail.pixel(20, 25).r, 240)
        XCTAssertEqual(thumbnail.pixel(60, 25).alpha, 127)
        XCTAssertEqual(thumbnail.pixel(90, 25).alpha, 64, accuracy: 3)
        XCTAssertGreaterThan(thumbnail.pixel(90, 25).b, 240, "no dark fringe from transparent black")
    }

    func testGIFTransparencyIsKept() throws {
        let image = GDImage(owning: try XCTUnwrap(gdImageCreate(60, 40)))
        let clear = gdImageColorAllocate(image.pointer, 255, 255, 255)
        let green = gdImageColorAllocate(image.pointer, 0, 200, 0)
        gdImageColorTransparent(image.pointer, clear)
        gdImageFilledRectangle(image.pointer, 0, 0, 59, 39, clear)
        gdImageFilledRectangle(image.pointer, 30, 0, 59, 39, green)
        var size: Int32 = 0
        let bytes = try XCTUnwrap(gdImageGifPtr(image.pointer, &size))
        let gif = Data(bytes: bytes, count: Int(size))
        gdFree(bytes)
        let directory = try temporaryDirectory(for: self)
        let set = try Thumbnailer.make(file: try write(gif, named: "t.gif", in: directory),
                                       spec: ThumbnailSpec(thumbnailSize: 30, previewSize: 60), maxPixels: 50_000_000)
        let preview = try pixels(of: set.preview)
        XCTAssertEqual(preview.pixel(10, 20).alpha, 127)
        XCTAssertEqual(preview.pixel(50, 20).alpha, 0)
        XCTAssertGreaterThan(preview.pixel(50, 20).g, 180)
        // Cut inside the image data: refused, not a half-drawn picture.
        let cut = try write(gif.prefix(gif.count - 8), named: "cut.gif", in: directory)
        XCTAssertThrowsError(try Thumbnailer.make(file: cut, spec: spec, maxPixels: 50_000_000))
    }

    /// Cut files of every kind are refused with `.invalid`, never a crash or a grey bottom.
    func testTruncatedFilesThrow() throws {
        let directory = try temporaryDirectory(for: self)
        let cases = ["photos/albums/text/japanese-shop.jpg",       // progressive
                     "photos/albums/nature/el_torcal_rocks.jpg",   // baseline
                     "photos/formats/density_plot.png", "photos/formats/denali.webp"]
        for path in cases {
            let data = try Data(contentsOf: photo(path))
            for fraction in [0.3, 0.9] {
                let cut = try write(data.prefix(Int(Double(data.count) * fraction)), named: "cut-\(fraction)-" + photo(path).lastPathComponent, in: directory)
                XCTAssertThrowsError(try Thumbnailer.make(file: cut, spec: spec, maxPixels: 50_000_000), "\(path) at \(fraction)") { error in
                    guard case GalleryError.invalid = error else { return XCTFail("\(path): \(error)") }
                }
            }
        }
    }

    /// Damaged bytes inside the image data: refused as invalid, or decoded into derivatives
    /// that are WebP files within the asked sizes; never a crash nor any other error. The
    /// damage is drawn from a fixed seed, so a failure comes back on every run.
    func testCorruptDataDoesNotCrash() throws {
        let directory = try temporaryDirectory(for: self)
        var generator = SplitMix64(seed: 0xDA_4A6E)
        var refused = 0, decoded = 0
        for path in ["photos/albums/nature/silver_fir.jpg", "photos/formats/density_plot.png", "photos/formats/denali.webp"] {
            let original = [UInt8](try Data(contentsOf: photo(path)))
            for round in 0 ..< 4 {
                var data = original
                for _ in 0 ..< 200 {
                    data[Int.random(in: 1000 ..< data.count, using: &generator)] = UInt8.random(in: 0 ... 255, using: &generator)
                }
                XCTAssertNotEqual(data, original)
                let file = try write(Data(data), named: "damaged-\(round)-" + photo(path).lastPathComponent, in: directory)
                do {
                    let set = try Thumbnailer.make(file: file, spec: spec, maxPixels: 50_000_000)
                    for (image, size) in [(set.thumbnail, spec.thumbnailSize), (set.preview, spec.previewSize)] {
                        XCTAssertTrue((1 ... size).contains(max(image.width, image.height)), "\(path) round \(round)")
                        XCTAssertNoThrow(try pixels(of: image), "\(path) round \(round): not a readable WebP")
                    }
                    decoded += 1
                } catch GalleryError.invalid {
                    refused += 1
                }
            }
        }
        XCTAssertEqual(refused + decoded, 12)
    }

    func testBadSpecIsRefused() throws {
        let url = photo("photos/albums/nature/silver_fir.jpg")
        for bad in [ThumbnailSpec(thumbnailSize: 0), ThumbnailSpec(previewSize: 20000), ThumbnailSpec(quality: 0),
                    ThumbnailSpec(placeholderSize: 500)] {
            XCTAssertThrowsError(try Thumbnailer.make(file: url, spec: bad, maxPixels: 50_000_000))
        }
        let none = try Thumbnailer.make(file: url, spec: ThumbnailSpec(placeholderSize: 0), maxPixels: 50_000_000)
        XCTAssertNil(none.placeholder)
    }

    func testFittedSizes() {
        XCTAssertTrue(Thumbnailer.fitted(width: 6000, height: 4000, longestEdge: 1280) == (1280, 853))
        XCTAssertTrue(Thumbnailer.fitted(width: 4000, height: 6000, longestEdge: 1280) == (853, 1280))
        XCTAssertTrue(Thumbnailer.fitted(width: 500, height: 300, longestEdge: 1280) == (500, 300))
        XCTAssertTrue(Thumbnailer.fitted(width: 10000, height: 10, longestEdge: 100) == (100, 1))
        XCTAssertEqual(JPEGDecoder.scaleDenominator(width: 6000, height: 4000, minimumLongestEdge: 2560), 2)
        XCTAssertEqual(JPEGDecoder.scaleDenominator(width: 6000, height: 4000, minimumLongestEdge: 640), 8)
        XCTAssertEqual(JPEGDecoder.scaleDenominator(width: 4217, height: 2817, minimumLongestEdge: 2560), 1)
    }
}
