import COpenSSL

/// Cryptographically secure randomness from OpenSSL's DRBG.
public enum SecureRandom {
    public static func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        guard count == 0 || RAND_bytes(&out, Int32(count)) == 1 else {
            fatalError("OpenSSL RAND_bytes failed: no entropy")  // never continue with weak randomness
        }
        return out
    }

    /// `bytes` random bytes as base64url without padding (cookie- and URL-safe).
    public static func token(bytes count: Int = 32) -> String {
        Encoding.base64URL(bytes(count))
    }

    /// A string of `length` decimal digits, uniformly distributed (confirmation codes).
    public static func digits(_ length: Int) -> String {
        var result = ""
        while result.count < length {
            for byte in bytes(length * 2) where byte < 250 && result.count < length {
                result.append(Character(String(byte % 10)))
            }
        }
        return result
    }
}
