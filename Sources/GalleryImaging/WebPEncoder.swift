import CGD
import Foundation
import GalleryCore

enum WebPEncoder {
    /// WebP's own limit on either side.
    static let maxDimension = 16383

    /// Lossy WebP at `quality` 1–100, or lossless at 101 (libgd's convention). Alpha is kept
    /// when the image has any.
    static func encode(_ image: GDImage, quality: Int) throws -> Data {
        var size: Int32 = 0
        guard let bytes = gdImageWebpPtrEx(image.pointer, &size, Int32(quality)), size > 0 else {
            throw GalleryError.invalid("WebP encoding of a \(image.width)×\(image.height) image failed")
        }
        defer { gdFree(bytes) }
        return Data(bytes: bytes, count: Int(size))
    }
}
