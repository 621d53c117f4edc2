import CWebP
import Foundation
import GalleryCore

enum WebPEncoder {
    /// WebP's own limit on either side.
    static let maxDimension = 16383

    /// Lossy WebP at `quality` 1–100, or lossless at 101 (libgd's convention). Alpha is kept
    /// when the image has any. The same file libgd's gdImageWebpPtrEx writes (libwebp's
    /// simple API, default preset), without its per-pixel copy: an image known to be opaque
    /// goes to libwebp as RGB.
    static func encode(_ image: GDImage, quality: Int) throws -> Data {
        var bytes: UnsafeMutablePointer<UInt8>?
        let size = cwebp_encode(image.rows, Int32(image.width), Int32(image.height), image.opaque ? 1 : 0,
                                Int32(quality), &bytes)
        guard size > 0, let bytes else {
            throw GalleryError.invalid("WebP encoding of a \(image.width)×\(image.height) image failed")
        }
        defer { cwebp_free(bytes) }
        return Data(bytes: bytes, count: size)
    }
}
