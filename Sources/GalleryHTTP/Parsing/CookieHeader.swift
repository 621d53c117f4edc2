/// The `Cookie` request header, parsed leniently as RFC 6265 §5.4 tells user agents to send
/// it and §5.2 to read it: a pair that does not parse is skipped rather than failing the
/// request, because one stray cookie from another app on the same host must not lock a user out.
public enum CookieHeader {
    /// More cookies than any sane site sets; the rest are ignored.
    public static let defaultMaxCookies = 64

    /// Name → value. The first of duplicate names wins: browsers send the cookie with the
    /// longest path first, which is the most specific one.
    public static func parse(_ header: String) -> [String: String] {
        parse(header, maxCookies: defaultMaxCookies)
    }

    public static func parse(_ header: String, maxCookies: Int) -> [String: String] {
        var cookies: [String: String] = [:]
        let bytes = header.utf8
        var start = bytes.startIndex
        // Scanned lazily, so a huge header of junk costs one pass and no array of pieces.
        while start < bytes.endIndex && cookies.count < maxCookies {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: ";")) ?? bytes.endIndex
            let piece = bytes[start..<end]
            start = end == bytes.endIndex ? end : bytes.index(after: end)
            guard let equals = piece.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let name = trimmed(piece[piece.startIndex..<equals])
            var value = trimmed(piece[piece.index(after: equals)...])
            guard !name.isEmpty, name.allSatisfy(isTokenByte) else { continue }
            if value.count >= 2, value.first == UInt8(ascii: "\""), value.last == UInt8(ascii: "\"") {
                value = value.dropFirst().dropLast()
            }
            guard value.allSatisfy(isValueByte) else { continue }
            // Both are slices of a valid String cut at ASCII bytes, so they are valid UTF-8.
            let key = String(decoding: name, as: UTF8.self)
            if cookies[key] == nil {
                cookies[key] = String(decoding: value, as: UTF8.self)
            }
        }
        return cookies
    }

    private static func trimmed(_ bytes: String.UTF8View.SubSequence) -> String.UTF8View.SubSequence {
        var s = bytes
        while let f = s.first, f == 0x20 || f == 0x09 { s = s.dropFirst() }
        while let l = s.last, l == 0x20 || l == 0x09 { s = s.dropLast() }
        return s
    }

    /// RFC 9110 tchar.
    static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "A")...UInt8(ascii: "Z"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(b)
        }
    }

    /// Looser than RFC 6265's cookie-octet (browsers accept spaces and commas in values):
    /// only control characters and a stray quote mark a value as garbage.
    private static func isValueByte(_ b: UInt8) -> Bool {
        b >= 0x20 && b != 0x7F && b != UInt8(ascii: "\"")
    }
}
