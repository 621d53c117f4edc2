import Foundation

/// Random identifiers for records and storage keys. Never derived from user input.
public enum Identifiers {
    /// 128 random bits as 32 lowercase hex characters, prefixed by a millisecond timestamp so
    /// that ids sort by creation (useful as a tie-break in newest-first lists).
    public static func make(now: Date = Date()) -> String {
        let ms = UInt64(max(0, now.timeIntervalSince1970 * 1000))
        var rng = SystemRandomNumberGenerator()
        let a = rng.next() as UInt64, b = rng.next() as UInt64
        return String(format: "%012llx%016llx%04llx", ms, a, b & 0xffff)
    }
}
