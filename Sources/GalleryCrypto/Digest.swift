import COpenSSL
import Foundation

/// SHA-256, one-shot or incremental (uploads are hashed while they stream to disk).
public struct SHA256Hasher: ~Copyable {
    private let context: OpaquePointer

    public init() {
        guard let ctx = EVP_MD_CTX_new(), EVP_DigestInit_ex(ctx, EVP_sha256(), nil) == 1 else {
            fatalError("OpenSSL could not start a SHA-256 context")  // only on allocation failure
        }
        context = ctx
    }

    deinit { EVP_MD_CTX_free(context) }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        EVP_DigestUpdate(context, base, bytes.count)
    }

    public mutating func update<D: ContiguousBytes>(_ data: D) {
        data.withUnsafeBytes { update($0) }
    }

    public consuming func finalize() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &out, &length)
        return out
    }
}

public enum SHA256 {
    public static func hash<D: ContiguousBytes>(_ data: D) -> [UInt8] {
        var hasher = SHA256Hasher()
        hasher.update(data)
        return hasher.finalize()
    }

    public static func hex<D: ContiguousBytes>(_ data: D) -> String {
        Encoding.hex(hash(data))
    }
}

public enum HMAC {
    public static func sha256<K: ContiguousBytes, M: ContiguousBytes>(key: K, message: M) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        key.withUnsafeBytes { k in
            message.withUnsafeBytes { m in
                _ = COpenSSL.HMAC(EVP_sha256(), k.baseAddress, Int32(k.count),
                                  m.baseAddress?.assumingMemoryBound(to: UInt8.self), m.count,
                                  &out, &length)
            }
        }
        return out
    }
}

/// Comparison whose time does not depend on where the inputs differ (tokens, MACs).
public func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    if a.isEmpty { return true }
    return a.withUnsafeBytes { pa in
        b.withUnsafeBytes { pb in CRYPTO_memcmp(pa.baseAddress, pb.baseAddress, a.count) == 0 }
    }
}
