import CGD
import CJPEG
import GalleryCore

/// EXIF orientation: how the stored pixels must be turned to show the picture upright.
enum Orientation: Int, Sendable {
    case up = 1, mirrored, upsideDown, flipped, transposed, rotatedLeft, transversed, rotatedRight

    /// Missing or out-of-range values (0 is common) mean upright.
    init(exif value: Int?) {
        self = value.flatMap(Orientation.init(rawValue:)) ?? .up
    }

    /// Orientations 5–8 turn the picture a quarter: displayed width is the stored height.
    var swapsAxes: Bool { rawValue >= 5 }

    /// The upright picture. Applied after downscaling, where there are fewest pixels.
    func apply(to image: GDImage) throws -> GDImage {
        switch self {
        case .up:
            return image
        case .mirrored:
            gdImageFlipHorizontal(image.pointer)
            return image
        case .upsideDown:
            gdImageFlipBoth(image.pointer)
            return image
        case .flipped:
            gdImageFlipVertical(image.pointer)
            return image
        case .transposed, .rotatedLeft, .transversed, .rotatedRight:  // 5–8
            return try turned(image)
        }
    }

    /// Orientations 5–8 into a new image of swapped sides, in one pass over the pixels.
    private func turned(_ image: GDImage) throws -> GDImage {
        let result = try GDImage(width: image.height, height: image.width)
        cjpeg_turn(image.rows, UInt32(image.width), UInt32(image.height), result.rows, Int32(rawValue))
        result.opaque = image.opaque
        return result
    }
}
