import CGD
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
        case .rotatedLeft:  // 6: stored a quarter turn anticlockwise; turn it clockwise
            return try rotate(image, clockwise: true)
        case .rotatedRight:  // 8
            return try rotate(image, clockwise: false)
        case .transposed:  // 5: mirrored across the main diagonal
            let turned = try rotate(image, clockwise: true)
            gdImageFlipHorizontal(turned.pointer)
            return turned
        case .transversed:  // 7: mirrored across the other diagonal
            let turned = try rotate(image, clockwise: true)
            gdImageFlipVertical(turned.pointer)
            return turned
        }
    }

    /// libgd turns anticlockwise for positive angles; multiples of 90° are exact pixel moves.
    private func rotate(_ image: GDImage, clockwise: Bool) throws -> GDImage {
        guard let turned = gdImageRotateInterpolated(image.pointer, clockwise ? 270 : 90, 0) else {
            throw GalleryError.tooLarge("no memory to rotate a \(image.width)×\(image.height) image")
        }
        let result = GDImage(owning: turned)
        result.keepAlpha()
        result.opaque = image.opaque
        return result
    }
}
