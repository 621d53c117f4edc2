import Foundation

/// Images for the cases no photo covers. Built by hand so that their bytes are exactly what
/// the test needs.

/// A JPEG whose SOF0 header claims `width`×`height`, with no image data behind it.
func lyingJPEG(width: Int, height: Int) -> Data {
    var bytes: [UInt8] = [0xFF, 0xD8,                               // SOI
                          0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00,
                          0x00, 0x01, 0x00, 0x01, 0x00, 0x00,       // APP0 JFIF
                          0xFF, 0xC0, 0x00, 0x11, 0x08]             // SOF0, 8-bit
    bytes += [UInt8(height >> 8), UInt8(height & 0xFF), UInt8(width >> 8), UInt8(width & 0xFF), 0x03]
    bytes += [0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01]
    bytes += [0xFF, 0xD9]                                           // EOI
    return Data(bytes)
}

/// A valid, black, 8-bit RGB PNG of `width`×`height` that is small on disk (about 1 MB for
/// 49 megapixels) but needs width × height × 4 bytes once decoded: a memory bomb that stays
/// under the pixel limit. The zero bytes are deflated as runs of 258 (fixed Huffman codes).
func blackPNG(width: Int, height: Int) -> Data {
    var png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    func chunk(_ type: String, _ body: [UInt8]) {
        let typed = Array(type.utf8) + body
        png += bigEndian(UInt32(body.count)) + typed + bigEndian(crc32(typed))
    }
    chunk("IHDR", bigEndian(UInt32(width)) + bigEndian(UInt32(height)) + [8, 2, 0, 0, 0])
    // Each row: filter byte 0 and 3 × width zero bytes.
    let rawCount = height * (1 + 3 * width)
    var bits = BitWriter()
    bits.write(1, count: 1)                 // BFINAL
    bits.write(1, count: 2)                 // BTYPE = fixed Huffman
    let literalZero = reversed(0x30, 8)     // literal 0: Huffman codes go most significant bit first
    let run = reversed(0xC5, 8)             // length 258 (code 285), then distance 1 (code 0, 5 bits)
    bits.write(literalZero, count: 8)
    let runs = (rawCount - 1) / 258, rest = (rawCount - 1) % 258
    for _ in 0..<runs { bits.write(run, count: 13) }
    for _ in 0..<rest { bits.write(literalZero, count: 8) }
    bits.write(0, count: 7)                 // end of block
    let adler = UInt32(rawCount % 65521) << 16 | 1   // Adler-32 of zeros: a = 1, b = n
    chunk("IDAT", [0x78, 0x01] + bits.finished + bigEndian(adler))
    chunk("IEND", [])
    return png
}

/// Bits least significant first, as deflate packs them.
private struct BitWriter {
    private var bytes: [UInt8] = []
    private var pending: UInt64 = 0
    private var used = 0

    mutating func write(_ value: UInt32, count: Int) {
        pending |= UInt64(value) << UInt64(used)
        used += count
        while used >= 8 {
            bytes.append(UInt8(truncatingIfNeeded: pending))
            pending >>= 8
            used -= 8
        }
    }

    var finished: [UInt8] { used > 0 ? bytes + [UInt8(truncatingIfNeeded: pending)] : bytes }
}

/// `code`'s low `length` bits in reverse order.
private func reversed(_ code: UInt32, _ length: Int) -> UInt32 {
    (0..<length).reduce(0) { $0 | ((code >> UInt32($1)) & 1) << UInt32(length - 1 - $1) }
}

private func bigEndian(_ v: UInt32) -> [UInt8] {
    [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]
}

private let crcTable: [UInt32] = (0..<256).map { n -> UInt32 in
    var c = UInt32(n)
    for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    return c
}

private func crc32(_ bytes: [UInt8]) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for b in bytes { c = crcTable[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
    return c ^ 0xFFFF_FFFF
}
