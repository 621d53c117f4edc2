/// Base64url (RFC 4648 §5) over a stream: Fernet tokens of large files are encoded and decoded
/// a chunk at a time, so these keep the 0–2 bytes (or 0–3 characters) that do not yet make a
/// whole group between calls. Encoding therefore always emits whole 3-byte groups until `finish`,
/// and decoding consumes whole 4-character groups.
struct Base64URLEncoder {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    private var carry: [UInt8] = []

    mutating func encode(_ input: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        guard let base = input.baseAddress?.assumingMemoryBound(to: UInt8.self), input.count > 0 else { return }
        var start = 0
        // Complete the group left over from the previous call first.
        while !carry.isEmpty && carry.count < 3 && start < input.count {
            carry.append(base[start])
            start += 1
        }
        if carry.count == 3 {
            carry.withUnsafeBufferPointer { Self.encodeGroups($0.baseAddress!, count: 1, into: &out) }
            carry.removeAll(keepingCapacity: true)
        }
        let groups = (input.count - start) / 3
        Self.encodeGroups(base + start, count: groups, into: &out)
        let rest = start + groups * 3
        carry.append(contentsOf: UnsafeBufferPointer(start: base + rest, count: input.count - rest))
    }

    /// Pointer loops: this runs over every byte of a photo, and must be quick in debug builds too.
    private static func encodeGroups(_ source: UnsafePointer<UInt8>, count groups: Int, into out: inout [UInt8]) {
        guard groups > 0 else { return }
        let encoded = [UInt8](unsafeUninitializedCapacity: groups * 4) { buffer, initialized in
            alphabet.withUnsafeBufferPointer { table in
                var src = source
                var dst = buffer.baseAddress!
                for _ in 0..<groups {
                    let a = src[0], b = src[1], c = src[2]
                    dst[0] = table[Int(a >> 2)]
                    dst[1] = table[Int((a & 0x03) << 4 | b >> 4)]
                    dst[2] = table[Int((b & 0x0f) << 2 | c >> 6)]
                    dst[3] = table[Int(c & 0x3f)]
                    src += 3
                    dst += 4
                }
            }
            initialized = groups * 4
        }
        out.append(contentsOf: encoded)
    }

    mutating func encode(_ input: [UInt8], into out: inout [UInt8]) {
        input.withUnsafeBytes { encode($0, into: &out) }
    }

    /// Emits the last partial group; with `padding` (Fernet tokens and keys, as Python writes
    /// them) it is completed with "=".
    mutating func finish(padding: Bool, into out: inout [UInt8]) {
        let table = Self.alphabet
        switch carry.count {
        case 1:
            out.append(table[Int(carry[0] >> 2)])
            out.append(table[Int((carry[0] & 0x03) << 4)])
            if padding { out.append(contentsOf: [UInt8(ascii: "="), UInt8(ascii: "=")]) }
        case 2:
            out.append(table[Int(carry[0] >> 2)])
            out.append(table[Int((carry[0] & 0x03) << 4 | carry[1] >> 4)])
            out.append(table[Int((carry[1] & 0x0f) << 2)])
            if padding { out.append(UInt8(ascii: "=")) }
        default:
            break
        }
        carry.removeAll()
    }

    /// The whole of `bytes` at once.
    static func encode(_ bytes: [UInt8], padding: Bool) -> String {
        var encoder = Base64URLEncoder()
        var out: [UInt8] = []
        encoder.encode(bytes, into: &out)
        encoder.finish(padding: padding, into: &out)
        return String(decoding: out, as: UTF8.self)
    }
}

/// Strict base64url decoding: only the URL alphabet, "=" only to complete the last group, and
/// nothing after the data but ASCII whitespace (a token file may end with a newline). Padding is
/// optional, as tokens are sometimes passed around with it stripped.
struct Base64URLDecoder {
    struct Malformed: Error {}

    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xff, count: 256)
        for (i, c) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8.enumerated() {
            table[Int(c)] = UInt8(i)
        }
        return table
    }()

    private var group: UInt32 = 0
    private var count = 0         // sextets in `group`
    private var padding = 0       // "=" seen in the current group
    private var ended = false     // past the data: only whitespace (or the rest of the padding) may follow
    private var trailing = false  // whitespace seen: nothing but whitespace may follow

    mutating func decode(_ input: UnsafeRawBufferPointer, into out: inout [UInt8]) throws {
        guard input.count > 0 else { return }
        // A pointer loop over locals into a buffer of the largest possible size: this runs over
        // every character of a token, and must be quick in debug builds too.
        var (group, count, padding, ended, trailing) = (self.group, self.count, self.padding, self.ended, self.trailing)
        var failed = false
        let decoded = [UInt8](unsafeUninitializedCapacity: (input.count / 4 + 2) * 3) { buffer, initialized in
            var dst = buffer.baseAddress!
            Self.values.withUnsafeBufferPointer { table in
                for c in input {
                    let v = table[Int(c)]
                    if v != 0xff && !ended {
                        group = group << 6 | UInt32(v)
                        count += 1
                        if count == 4 {
                            dst[0] = UInt8(truncatingIfNeeded: group >> 16)
                            dst[1] = UInt8(truncatingIfNeeded: group >> 8)
                            dst[2] = UInt8(truncatingIfNeeded: group)
                            dst += 3
                            group = 0
                            count = 0
                        }
                    } else if c == UInt8(ascii: "=") {
                        // Allowed only after two or three characters of a group, and only as
                        // many as complete it.
                        guard !trailing, count >= 2, count + padding < 4 else { failed = true; return }
                        if padding == 0 { dst += Self.partial(group: group, count: count, into: dst) }
                        padding += 1
                        ended = true
                    } else if c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09 {
                        ended = true
                        trailing = true
                    } else {
                        failed = true
                        return
                    }
                }
            }
            initialized = dst - buffer.baseAddress!
        }
        guard !failed else { throw Malformed() }
        (self.group, self.count, self.padding, self.ended, self.trailing) = (group, count, padding, ended, trailing)
        out.append(contentsOf: decoded)
    }

    mutating func decode(_ input: [UInt8], into out: inout [UInt8]) throws {
        try input.withUnsafeBytes { try decode($0, into: &out) }
    }

    /// Checks the end of the input and emits an unpadded last group.
    mutating func finish(into out: inout [UInt8]) throws {
        if padding > 0 {
            guard count + padding == 4 else { throw Malformed() }
        } else {
            guard count != 1 else { throw Malformed() }  // one character cannot hold a byte
            flushPartial(into: &out)
        }
        group = 0
        count = 0
        padding = 0
        ended = false
        trailing = false
    }

    private mutating func flushPartial(into out: inout [UInt8]) {
        var bytes: (UInt8, UInt8) = (0, 0)
        let n = withUnsafeMutableBytes(of: &bytes) {
            Self.partial(group: group, count: count, into: $0.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        withUnsafeBytes(of: bytes) { out.append(contentsOf: $0.prefix(n)) }
    }

    /// Writes the bytes of an incomplete group (two or three characters) and returns how many.
    private static func partial(group: UInt32, count: Int, into dst: UnsafeMutablePointer<UInt8>) -> Int {
        switch count {
        case 2:
            dst[0] = UInt8(truncatingIfNeeded: group >> 4)
            return 1
        case 3:
            dst[0] = UInt8(truncatingIfNeeded: group >> 10)
            dst[1] = UInt8(truncatingIfNeeded: group >> 2)
            return 2
        default:
            return 0
        }
    }
}
