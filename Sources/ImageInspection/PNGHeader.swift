import GalleryCore

/// A PNG's size from its first chunk, which the format requires to be IHDR.
enum PNGHeader {
    static func dimensions(_ source: inout some HeaderSource) throws -> (width: Int, height: Int) {
        guard try source.read(8) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] else {
            throw GalleryError.invalid("not a PNG file")
        }
        let chunk = try source.read(8)
        guard chunk == [0, 0, 0, 13] + Array("IHDR".utf8) else {
            throw GalleryError.invalid("corrupt PNG: the first chunk is not a 13-byte IHDR")
        }
        let ihdr = try source.read(13)
        let width = bigEndian32(ihdr[0 ..< 4])
        let height = bigEndian32(ihdr[4 ..< 8])
        let depth = ihdr[8], colorType = ihdr[9]
        // The spec's limit is 2^31 - 1; zero is not a size.
        guard (1 ... Int(Int32.max)).contains(width), (1 ... Int(Int32.max)).contains(height) else {
            throw GalleryError.invalid("PNG header gives size \(width)×\(height)")
        }
        let depths: [UInt8: [UInt8]] = [0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16]]
        guard depths[colorType]?.contains(depth) == true else {
            throw GalleryError.invalid("corrupt PNG: colour type \(colorType) with bit depth \(depth)")
        }
        return (width, height)
    }

    private static func bigEndian32(_ b: ArraySlice<UInt8>) -> Int {
        b.reduce(0) { $0 << 8 | Int($1) }
    }
}
