import GalleryCore

/// A WebP's size from its first chunk: VP8 (lossy), VP8L (lossless) or VP8X (extended, which
/// may also announce alpha or animation).
enum WebPHeader {
    static func dimensions(_ source: inout some HeaderSource) throws -> (width: Int, height: Int) {
        let riff = try source.read(12)
        guard riff[0 ..< 4].elementsEqual("RIFF".utf8), riff[8 ..< 12].elementsEqual("WEBP".utf8) else {
            throw GalleryError.invalid("not a WebP file")
        }
        let chunk = String(decoding: try source.read(8)[0 ..< 4], as: UTF8.self)
        let width: Int, height: Int
        switch chunk {
        case "VP8 ":
            let b = try source.read(10)
            // Bit 0 of the frame tag is 0 for a key frame; the start code follows the tag.
            guard b[0] & 1 == 0, b[3 ..< 6].elementsEqual([0x9D, 0x01, 0x2A]) else {
                throw GalleryError.invalid("corrupt WebP: bad VP8 frame header")
            }
            width = (Int(b[6]) | Int(b[7]) << 8) & 0x3FFF
            height = (Int(b[8]) | Int(b[9]) << 8) & 0x3FFF
        case "VP8L":
            let b = try source.read(5)
            guard b[0] == 0x2F else { throw GalleryError.invalid("corrupt WebP: bad VP8L signature") }
            let bits = Int(b[1]) | Int(b[2]) << 8 | Int(b[3]) << 16 | Int(b[4]) << 24
            width = (bits & 0x3FFF) + 1
            height = (bits >> 14 & 0x3FFF) + 1
        case "VP8X":
            let b = try source.read(10)
            if b[0] & 0x02 != 0 { throw GalleryError.invalid("animated WebP is not supported") }
            width = (Int(b[4]) | Int(b[5]) << 8 | Int(b[6]) << 16) + 1
            height = (Int(b[7]) | Int(b[8]) << 8 | Int(b[9]) << 16) + 1
        default:
            throw GalleryError.invalid("corrupt WebP: unknown first chunk \"\(chunk)\"")
        }
        guard width > 0, height > 0 else { throw GalleryError.invalid("WebP header gives size \(width)×\(height)") }
        return (width, height)
    }
}
