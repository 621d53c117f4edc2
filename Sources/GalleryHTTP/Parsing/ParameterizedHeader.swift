/// A header value shaped `type; name=value; name="quoted value"` (RFC 9110 §5.6.6), as
/// Content-Type and Content-Disposition are.
public struct ParameterizedHeader: Equatable, Sendable {
    /// Lowercased, e.g. `multipart/form-data` or `form-data`.
    public var value: String
    /// Names lowercased; values as sent, quotes and escapes removed.
    public var parameters: [String: String]

    public init(parsing text: String) throws {
        let bytes = Array(text.utf8)
        var i = 0
        func skipSpace() {
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 { i += 1 }
        }
        func token(allowSlash: Bool) -> String {
            let start = i
            while i < bytes.count,
                  CookieHeader.isTokenByte(bytes[i]) || (allowSlash && bytes[i] == UInt8(ascii: "/")) {
                i += 1
            }
            return String(decoding: bytes[start..<i], as: UTF8.self).lowercased()
        }

        skipSpace()
        value = token(allowSlash: true)
        guard !value.isEmpty else { throw ParseError.malformed("A header has no value.") }
        parameters = [:]
        skipSpace()
        while i < bytes.count {
            guard bytes[i] == UInt8(ascii: ";") else {
                throw ParseError.malformed("A header has garbage after its value.")
            }
            i += 1
            skipSpace()
            if i == bytes.count { break }  // a trailing ";" is common and harmless
            let name = token(allowSlash: false)
            skipSpace()
            guard !name.isEmpty, i < bytes.count, bytes[i] == UInt8(ascii: "=") else {
                throw ParseError.malformed("A header parameter is not name=value.")
            }
            i += 1
            skipSpace()
            let parameter: String
            if i < bytes.count, bytes[i] == UInt8(ascii: "\"") {
                parameter = try Self.quotedString(bytes, &i)
            } else {
                // Looser than a token: unquoted boundaries may hold RFC 2046 bchars such as
                // '=' or '/', which the boundary check vets afterwards.
                let start = i
                while i < bytes.count, bytes[i] > 0x20, bytes[i] != 0x7F,
                      bytes[i] != UInt8(ascii: ";"), bytes[i] != UInt8(ascii: "\"") {
                    i += 1
                }
                parameter = String(decoding: bytes[start..<i], as: UTF8.self)
            }
            guard parameters.updateValue(parameter, forKey: name) == nil else {
                // Two names (or two filenames) in one part is how parser-confusion attacks start.
                throw ParseError.malformed("A header repeats a parameter.")
            }
            skipSpace()
        }
    }

    /// Only `\"` and `\\` are escapes: browsers send backslashes in filenames unescaped (the
    /// HTML standard percent-encodes only `"`, CR and LF), and old ones sent whole Windows
    /// paths, so any other backslash stays a backslash.
    private static func quotedString(_ bytes: [UInt8], _ i: inout Int) throws -> String {
        var out = [UInt8]()
        i += 1
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                i += 1
                return String(decoding: out, as: UTF8.self)  // cut at ASCII: still valid UTF-8
            }
            if b == UInt8(ascii: "\\"), i + 1 < bytes.count,
               bytes[i + 1] == UInt8(ascii: "\"") || bytes[i + 1] == UInt8(ascii: "\\") {
                out.append(bytes[i + 1])
                i += 2
                continue
            }
            out.append(b)
            i += 1
        }
        throw ParseError.malformed("A header has an unterminated quoted string.")
    }
}
