import Foundation

/// Random identifiers for records, storage keys and share links. Never derived from user
/// input; every check of an id or a token that arrives in a request is here too.
public enum Identifiers {
    /// 32 lowercase hex characters: a 48-bit millisecond timestamp, so that ids sort by
    /// creation (a tie-break in newest-first lists), then 80 random bits.
    public static func make(now: Date = Date()) -> String {
        let ms = UInt64(max(0, now.timeIntervalSince1970 * 1000))
        var rng = SystemRandomNumberGenerator()
        let a = rng.next() as UInt64, b = rng.next() as UInt64
        return String(format: "%012llx%016llx%04llx", ms, a, b & 0xffff)
    }

    /// An id of ours: 32 lowercase hex characters. Anything else names nothing we store.
    public static func isValid(_ id: String) -> Bool {
        id.utf8.count == 32 && id.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }

    /// The id from a request, or `.notFound` (an id that cannot exist is just not found).
    public static func checked(_ id: String) throws -> String {
        guard isValid(id) else { throw GalleryError.notFound }
        return id
    }

    /// A share link's token: 24 random bytes (192 bits) as 32 characters of base64url.
    public static func shareToken() -> String {
        var rng = SystemRandomNumberGenerator()  // getrandom(2) on Linux: a CSPRNG
        let bytes = (0..<24).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    }

    /// Tokens are what `shareToken()` makes: exactly 32 characters of base64url.
    public static func isShareToken(_ token: String) -> Bool {
        token.utf8.count == 32 && token.utf8.allSatisfy {
            ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 45 || $0 == 95
        }
    }
}

extension String {
    /// The text of a NUL-terminated C buffer (stops at the first NUL, or at the end).
    public init(cBuffer: [CChar]) {
        self.init(decoding: cBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
