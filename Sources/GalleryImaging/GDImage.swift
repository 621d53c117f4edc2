import CGD
import Foundation
import GalleryCore

/// A libgd truecolor image, destroyed when its owner lets go of it.
final class GDImage {
    let pointer: gdImagePtr

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

    /// A downscaled copy. gdImageCopyResampled averages each destination pixel's exact
    /// footprint in the source (an area filter, alpha-weighted): no point sampling, no aliasing.
    /// gdImageScale's filters were measured and refused: in libgd 2.3.3 they centre destination
    /// pixel u on source u·f instead of (u + ½)·f − ½, a shift of (f − 1)/2 source pixels that
    /// costs ~12 dB PSNR against a Lanczos reference at f ≈ 2.3 (bench/thumbnails/README.md).
    func resized(width: Int, height: Int) throws -> GDImage {
        let result = try GDImage(width: width, height: height)
        gdImageCopyResampled(result.pointer, pointer, 0, 0, 0, 0,
                             Int32(width), Int32(height), Int32(self.width), Int32(self.height))
        return result
    }
}
