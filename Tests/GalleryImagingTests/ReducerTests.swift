import CGD
import CJPEG
import Foundation
@testable import GalleryImaging
import ImageInspection
import XCTest

/// The Lanczos-3 reducer has three ways through it: premultiplied floats for images with
/// transparency, floats without premultiplying for opaque ones, and, for opaque images on
/// CPUs with AVX2, fixed point (what JPEGs take). They must agree.
final class ReducerTests: XCTestCase {
    private enum Path: Int32 { case alpha = 0, opaque = 1, opaqueFloat = 2 }

    private func reduce(_ image: GDImage, to width: Int, _ height: Int, _ path: Path) throws -> GDImage {
        let result = try GDImage(width: width, height: height)
        let status = cjpeg_reduce_rows(image.rows, UInt32(image.width), UInt32(image.height),
                                       result.rows, UInt32(width), UInt32(height), path.rawValue)
        XCTAssertEqual(status, 0, "\(image.width)×\(image.height) → \(width)×\(height)")
        return result
    }

    /// Largest difference in any colour channel, and whether any pixel is not opaque.
    private func compare(_ a: GDImage, _ b: GDImage) -> (largest: Int, transparent: Bool) {
        var largest = 0, transparent = false
        for y in 0 ..< a.height {
            for x in 0 ..< a.width {
                let p = a.pixel(x, y), q = b.pixel(x, y)
                largest = max(largest, abs(p.r - q.r), abs(p.g - q.g), abs(p.b - q.b))
                transparent = transparent || p.alpha != 0 || q.alpha != 0
            }
        }
        return (largest, transparent)
    }

    /// A real photo at full size, as libgd decodes it (alpha 0 everywhere).
    private func photoImage(_ path: String) throws -> GDImage {
        let data = try Data(contentsOf: photo(path))
        return GDImage(owning: try XCTUnwrap(data.withUnsafeBytes {
            gdImageCreateFromJpegPtr(Int32($0.count), UnsafeMutableRawPointer(mutating: $0.baseAddress))
        }))
    }

    func testOpaquePathsAgreeWithTheAlphaPath() throws {
        let source = try photoImage("photos/albums/nature/prairie_falcon.jpg")  // 800×533
        // Odd sizes, sizes that are not multiples of eight, nearly no reduction, a lot of it.
        for (width, height) in [(320, 213), (333, 222), (799, 532), (101, 67), (7, 5), (1, 1), (800, 100)] {
            let alpha = try reduce(source, to: width, height, .alpha)
            for path in [Path.opaque, .opaqueFloat] {
                let (largest, transparent) = compare(try reduce(source, to: width, height, path), alpha)
                XCTAssertLessThanOrEqual(largest, 1, "\(path) at \(width)×\(height)")
                XCTAssertFalse(transparent, "\(path) at \(width)×\(height)")
            }
        }
    }

    /// Narrower than the fixed-point loops' eight-pixel loads: those rows take the float loops.
    func testNarrowSources() throws {
        let source = try GDImage(width: 6, height: 40)
        for y in 0 ..< 40 {
            for x in 0 ..< 6 { source.rows[y]![x] = Int32((x * 40) << 16 | (y * 6) << 8 | 200) }
        }
        let (largest, transparent) = compare(try reduce(source, to: 3, 10, .opaque), try reduce(source, to: 3, 10, .alpha))
        XCTAssertLessThanOrEqual(largest, 1)
        XCTAssertFalse(transparent)
    }

    /// The opaque paths take no notice of the alpha byte: libjpeg-turbo leaves 0xFF there,
    /// which libgd would read as transparent, and the decoder no longer clears it.
    func testOpaquePathsIgnoreTheAlphaByte() throws {
        let source = try photoImage("photos/albums/nature/silver_fir.jpg")
        let reference = try reduce(source, to: 200, 127, .alpha)
        for y in 0 ..< source.height {
            for x in 0 ..< source.width { source.rows[y]![x] |= Int32(bitPattern: 0xFF00_0000) }
        }
        for path in [Path.opaque, .opaqueFloat] {
            let (largest, transparent) = compare(try reduce(source, to: 200, 127, path), reference)
            XCTAssertLessThanOrEqual(largest, 1, "\(path)")
            XCTAssertFalse(transparent, "\(path)")
        }
    }

    /// Flat colour stays exactly that colour, and the filter's overshoot at a hard edge is
    /// clamped rather than wrapped around.
    func testFlatAreasAndHardEdgesInFixedPoint() throws {
        let source = try GDImage(width: 300, height: 30)
        gdImageFilledRectangle(source.pointer, 0, 0, 299, 29, 0x0012_3456)
        gdImageFilledRectangle(source.pointer, 150, 0, 299, 29, 0x00FF_FFFF)
        let reduced = try reduce(source, to: 100, 10, .opaque)
        for y in 0 ..< 10 {
            XCTAssertEqual(reduced.rows[y]![10], 0x0012_3456, "flat, row \(y)")
            XCTAssertEqual(reduced.rows[y]![90], 0x00FF_FFFF, "flat, row \(y)")
            // Red undershoots below 0 on the dark side of the edge, everything overshoots 255 on
            // the light side: wrapped around, those would come out light and dark.
            for x in 0 ..< 50 { XCTAssertLessThan(reduced.pixel(x, y).r, 0x12 + 40, "x \(x)") }
            for x in 50 ..< 100 { XCTAssertGreaterThan(reduced.pixel(x, y).r, 200, "x \(x)") }
        }
    }

    func testBadArgumentsAreRefused() throws {
        let source = try GDImage(width: 10, height: 10)
        let bigger = try GDImage(width: 20, height: 20)
        XCTAssertEqual(cjpeg_reduce_rows(source.rows, 10, 10, bigger.rows, 20, 20, 1), -1)
        XCTAssertEqual(cjpeg_reduce_rows(source.rows, 10, 10, source.rows, 5, 5, 3), -1)
    }
}
