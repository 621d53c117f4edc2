import CGD
import Foundation
@testable import GalleryImaging
import GalleryTestSupport
import XCTest

/// Orientations 5–8 are turned in one pass of our own; they must be exactly libgd's turns
/// (and flips), which the orientation photos were checked against.
final class OrientationTests: XCTestCase {
    private func libgdTurn(_ image: GDImage, clockwise: Bool) throws -> GDImage {
        let turned = GDImage(owning: try XCTUnwrap(gdImageRotateInterpolated(image.pointer, clockwise ? 270 : 90, 0)))
        turned.keepAlpha()
        return turned
    }

    private func samePixels(_ a: GDImage, _ b: GDImage) -> Bool {
        guard a.width == b.width, a.height == b.height else { return false }
        for y in 0 ..< a.height where memcmp(a.rows[y]!, b.rows[y]!, 4 * a.width) != 0 { return false }
        return true
    }

    func testTurnsAreLibgdsExactly() throws {
        // Not square, sides that are not multiples of the copy's 16-pixel tiles, alpha included.
        let image = try GDImage(width: 37, height: 21)
        var generator = SplitMix64(seed: 37 * 21)
        for y in 0 ..< 21 {
            for x in 0 ..< 37 { image.rows[y]![x] = Int32.random(in: 0 ... 0x7FFF_FFFF, using: &generator) }
        }
        let clockwise = try libgdTurn(image, clockwise: true)
        let expected: [(Orientation, GDImage)] = [
            (.rotatedLeft, clockwise),
            (.rotatedRight, try libgdTurn(image, clockwise: false)),
            (.transposed, try { let t = try libgdTurn(image, clockwise: true); gdImageFlipHorizontal(t.pointer); return t }()),
            (.transversed, try { let t = try libgdTurn(image, clockwise: true); gdImageFlipVertical(t.pointer); return t }()),
        ]
        for (orientation, reference) in expected {
            let turned = try orientation.apply(to: image)
            XCTAssertEqual([turned.width, turned.height], [21, 37], "\(orientation)")
            XCTAssertTrue(samePixels(turned, reference), "\(orientation)")
        }
        // The check can fail: a quarter turn the wrong way is not the same picture.
        XCTAssertFalse(samePixels(try Orientation.rotatedRight.apply(to: image), clockwise))
    }

    func testOpaqueIsKept() throws {
        let image = try GDImage(width: 20, height: 10)
        image.opaque = true
        XCTAssertTrue(try Orientation.rotatedLeft.apply(to: image).opaque)
    }
}
