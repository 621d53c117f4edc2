import CGD
import Foundation
import GalleryCore
import ImageInspection

/// PNG, GIF (first frame) and WebP through libgd. libgd 2.3.3 contains its decoders' errors:
/// libpng's longjmp lands in gd's own setjmp, and every reader returns NULL on failure.
enum GDDecoder {
    static func decode(_ data: Data, header: ImageHeaderInfo) throws -> GDImage {
        guard data.count <= Int(Int32.max) else { throw GalleryError.tooLarge("the file is over 2 GB") }
        // libgd's GIF reader returns whatever frame data it got; a cut-off file must not pass.
        if header.format == .gif, !GIFStructure.firstFrameIsComplete(data) {
            throw GalleryError.invalid("corrupt GIF: the file ends inside its first frame")
        }
        let decoded: gdImagePtr? = data.withUnsafeBytes { buffer in
            let bytes = UnsafeMutableRawPointer(mutating: buffer.baseAddress)
            let size = Int32(buffer.count)
            switch header.format {
            case .png: return gdImageCreateFromPngPtr(size, bytes)
            case .gif: return gdImageCreateFromGifPtr(size, bytes)
            case .webp: return gdImageCreateFromWebpPtr(size, bytes)
            case .jpeg: return nil  // JPEG goes through JPEGDecoder, never here
            }
        }
        guard let decoded else {
            throw GalleryError.invalid("corrupt or truncated \(header.format.rawValue.uppercased()) file")
        }
        let image = GDImage(owning: decoded)
        // GIF frames may be smaller than the screen; nothing may be larger than the header said.
        guard image.width <= header.width, image.height <= header.height else {
            throw GalleryError.invalid("corrupt image: decoded larger than its header says")
        }
        if decoded.pointee.trueColor == 0 {
            guard gdImagePaletteToTrueColor(decoded) != 0 else {
                throw GalleryError.tooLarge("no memory to convert a \(image.width)×\(image.height) image")
            }
        } else if decoded.pointee.transparent >= 0 {
            clearTransparentColor(image)
        }
        image.keepAlpha()
        return image
    }

    /// An RGB PNG with a tRNS colour comes back opaque, the colour only noted in `transparent`;
    /// WebP knows alpha only, so those pixels are made transparent here.
    private static func clearTransparentColor(_ image: GDImage) {
        let key = image.pointer.pointee.transparent
        for y in 0 ..< image.height {
            guard let row = image.rows[y] else { continue }
            for x in 0 ..< image.width where row[x] == key {
                row[x] = 127 << 24
            }
        }
    }
}

/// Walks a GIF's blocks up to the end of its first image's data.
enum GIFStructure {
    static func firstFrameIsComplete(_ data: Data) -> Bool {
        data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            var i = 13
            guard bytes.count >= i else { return false }
            if bytes[10] & 0x80 != 0 { i += 3 << (Int(bytes[10] & 7) + 1) }
            func skipSubBlocks() -> Bool {
                while i < bytes.count {
                    let length = Int(bytes[i])
                    i += 1 + length
                    if length == 0 { return i <= bytes.count }
                }
                return false
            }
            while i < bytes.count {
                let introducer = bytes[i]
                i += 1
                switch introducer {
                case 0x21:  // extension: a label, then sub-blocks
                    i += 1
                    guard skipSubBlocks() else { return false }
                case 0x2C:  // image descriptor, optional local colour table, LZW code size, data
                    guard i + 9 <= bytes.count else { return false }
                    let packed = bytes[i + 8]
                    i += 9
                    if packed & 0x80 != 0 { i += 3 << (Int(packed & 7) + 1) }
                    i += 1
                    return skipSubBlocks()
                case 0x3B:
                    return false  // trailer before any image
                default:
                    continue  // libgd skips stray bytes too
                }
            }
            return false
        }
    }
}
