import CGD
import CJPEG
import Foundation
import GalleryCore

/// A libgd truecolor image, destroyed when its owner lets go of it.
final class GDImage {
    let pointer: gdImagePtr
    /// Known to have no transparent pixel at all (decoded from a JPEG, or made from such an
    /// image), which lets the reducer skip premultiplying.
    var opaque = false

    init(owning pointer: gdImagePtr) {
        self.pointer = pointer
    }

    deinit {
        gdImageDestroy(pointer)
    }

    /// A blank image whose pixels are written as given, alpha included (no blending).
    convenience init(width: Int, height: Int) throws {
        guard width > 0, height > 0, width <= Int(Int32.max), height <= Int(Int32.max),
              let pointer = gdImageCreateTrueColor(Int32(width), Int32(height)) else {
            throw GalleryError.tooLarge("no memory for a \(width)×\(height) image")
        }
        self.init(owning: pointer)
        keepAlpha()
    }

    var width: Int { Int(pointer.pointee.sx) }
    var height: Int { Int(pointer.pointee.sy) }

    /// libgd's row pointers: `height` rows of `width` pixels, 0xAARRGGBB with gd's 7-bit alpha
    /// (0 opaque, 127 transparent).
    var rows: UnsafeMutablePointer<UnsafeMutablePointer<Int32>?> { pointer.pointee.tpixels }

    /// Writes copy alpha rather than blend over what is there, and encoders keep it.
    func keepAlpha() {
        gdImageAlphaBlending(pointer, 0)
        gdImageSaveAlpha(pointer, 1)
    }

    /// A downscaled copy, through the JPEG decoder's Lanczos-3 reducer (premultiplied, so
    /// transparency is kept without dark fringes). libgd's own resamplers were measured and
    /// refused (bench/thumbnails/README.md): gdImageCopyResampled is an area average, ~1 dB
    /// below libvips on thumbnails and the slowest step of the pipeline; gdImageScale's
    /// filters centre destination pixel u on source u·f instead of (u + ½)·f − ½ in libgd
    /// 2.3.3, a shift of (f − 1)/2 source pixels (~12 dB lost at f ≈ 2.3).
    func resized(width: Int, height: Int) throws -> GDImage {
        let result = try GDImage(width: width, height: height)
        guard cjpeg_reduce_rows(rows, UInt32(self.width), UInt32(self.height),
                                result.rows, UInt32(width), UInt32(height), opaque ? 1 : 0) == 0 else {
            throw GalleryError.tooLarge("cannot reduce a \(self.width)×\(self.height) image to \(width)×\(height)")
        }
        result.opaque = opaque
        return result
    }
}
