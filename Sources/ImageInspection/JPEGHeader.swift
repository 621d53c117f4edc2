import GalleryCore

/// Walks a JPEG's markers to its frame header (SOFn), skipping every segment before it by its
/// length, so that EXIF, ICC profiles and embedded previews are passed over, never parsed.
enum JPEGHeader {
    static func dimensions(_ source: inout some HeaderSource) throws -> (width: Int, height: Int) {
        guard try source.read(2) == [0xFF, 0xD8] else { throw GalleryError.invalid("not a JPEG file") }
        while true {
            guard try source.byte() == 0xFF else {
                throw GalleryError.invalid("corrupt JPEG: no marker at byte \(source.offset - 1)")
            }
            var marker = try source.byte()
            while marker == 0xFF { marker = try source.byte() }  // fill bytes
            switch marker {
            case 0x01, 0xD0 ... 0xD7:
                continue  // stand-alone markers carry no length
            case 0xD8, 0xD9, 0xDA, 0x00:
                throw GalleryError.invalid("corrupt JPEG: image data before any frame header")
            case 0xC0, 0xC1, 0xC2, 0xC9, 0xCA:
                return try frame(&source)
            case 0xC3, 0xCB:
                throw GalleryError.invalid("lossless JPEG is not supported")
            case 0xC5 ... 0xC7, 0xCD ... 0xCF:
                throw GalleryError.invalid("hierarchical JPEG is not supported")
            case 0xF7:
                throw GalleryError.invalid("JPEG-LS is not supported")
            default:
                let length = try source.uint16BE()
                guard length >= 2 else { throw GalleryError.invalid("corrupt JPEG: segment length \(length)") }
                try source.skip(length - 2)
            }
        }
    }

    private static func frame(_ source: inout some HeaderSource) throws -> (width: Int, height: Int) {
        let length = try source.uint16BE()
        let precision = try source.byte()
        let height = try source.uint16BE()
        let width = try source.uint16BE()
        let components = Int(try source.byte())
        guard length == 8 + 3 * components else {
            throw GalleryError.invalid("corrupt JPEG: frame header length \(length)")
        }
        guard precision == 8 else { throw GalleryError.invalid("\(precision)-bit JPEG is not supported") }
        guard [1, 3, 4].contains(components) else {
            throw GalleryError.invalid("JPEG with \(components) colour components is not supported")
        }
        // A zero height means "given later by a DNL marker", which libjpeg does not support.
        guard width > 0, height > 0 else { throw GalleryError.invalid("JPEG frame header gives size \(width)×\(height)") }
        return (width, height)
    }
}
