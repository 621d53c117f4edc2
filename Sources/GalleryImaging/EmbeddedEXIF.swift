import Foundation
import GalleryCore

/// The EXIF block of a PNG (`eXIf` chunk) or WebP (`EXIF` chunk). Both hold bare TIFF data;
/// libexif wants the "Exif\0\0" prefix that JPEG's APP1 carries, so it is added.
enum EmbeddedEXIF {
    static func find(in data: Data, format: ImageFormat) -> [UInt8]? {
        let bytes = [UInt8](data)
        switch format {
        case .png: return png(bytes)
        case .webp: return webp(bytes)
        case .jpeg, .gif: return nil
        }
    }

    /// Chunks after the 8-byte signature: length (big-endian), type, data, CRC.
    private static func png(_ b: [UInt8]) -> [UInt8]? {
        var i = 8
        while i + 8 <= b.count {
            let length = Int(b[i]) << 24 | Int(b[i + 1]) << 16 | Int(b[i + 2]) << 8 | Int(b[i + 3])
            let type = String(decoding: b[i + 4 ..< i + 8], as: UTF8.self)
            let start = i + 8
            guard length >= 0, start + length <= b.count else { return nil }
            if type == "eXIf" { return withHeader(b[start ..< start + length]) }
            if type == "IDAT" || type == "IEND" { return nil }  // eXIf must come before IDAT
            i = start + length + 4
        }
        return nil
    }

    /// RIFF chunks after the 12-byte header: type, length (little-endian), data, padding to even.
    private static func webp(_ b: [UInt8]) -> [UInt8]? {
        var i = 12
        while i + 8 <= b.count {
            let type = String(decoding: b[i ..< i + 4], as: UTF8.self)
            let length = Int(b[i + 4]) | Int(b[i + 5]) << 8 | Int(b[i + 6]) << 16 | Int(b[i + 7]) << 24
            let start = i + 8
            guard start + length <= b.count else { return nil }
            if type == "EXIF" {
                let chunk = b[start ..< start + length]
                // Some writers include the JPEG-style prefix already.
                return chunk.starts(with: exifPrefix) ? Array(chunk) : withHeader(chunk)
            }
            i = start + length + (length & 1)
        }
        return nil
    }

    private static let exifPrefix: [UInt8] = Array("Exif".utf8) + [0, 0]

    private static func withHeader(_ tiff: ArraySlice<UInt8>) -> [UInt8] {
        exifPrefix + tiff
    }
}
