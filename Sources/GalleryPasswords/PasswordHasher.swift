import CArgon2
import Foundation
import GalleryCrypto

/// A failure of libargon2 itself (out of memory, bad parameters): never a wrong password.
public struct PasswordHashingError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// Argon2id password hashes in the PHC string format (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`),
/// so every stored hash carries the parameters it was made with and can be upgraded later.
public enum PasswordHasher {
    public struct Parameters: Equatable, Sendable {
        public var memoryKiB: UInt32
        public var iterations: UInt32
        public var parallelism: UInt32

        public init(memoryKiB: UInt32, iterations: UInt32, parallelism: UInt32 = 1) {
            self.memoryKiB = memoryKiB
            self.iterations = iterations
            self.parallelism = parallelism
        }

        /// OWASP's first Argon2id configuration (Password Storage Cheat Sheet): m = 19 MiB,
        /// t = 2, p = 1. The responder hashes on its request threads (4 by default, on small
        /// machines), so each sign-in should cost tens of milliseconds and a bounded amount of
        /// memory: 4 concurrent sign-ins take 76 MiB here, where the 64 MiB settings would take
        /// 256 MiB and make sign-in an easy way to exhaust memory. p = 1 because the parallelism
        /// we have is across requests, not within one hash.
        public static let recommended = Parameters(memoryKiB: 19_456, iterations: 2, parallelism: 1)

        /// `recommended`, overridden by `GALLERY_ARGON2_MEMORY_KIB` and
        /// `GALLERY_ARGON2_ITERATIONS` (tests lower them for speed; operators may raise them).
        public static func current() throws -> Parameters {
            var p = recommended
            if let m = try environmentNumber("GALLERY_ARGON2_MEMORY_KIB", minimum: 8) { p.memoryKiB = m }
            if let t = try environmentNumber("GALLERY_ARGON2_ITERATIONS", minimum: 1) { p.iterations = t }
            return p
        }

        private static func environmentNumber(_ name: String, minimum: UInt32) throws -> UInt32? {
            guard let raw = getenv(name).map({ String(cString: $0) }), !raw.isEmpty else { return nil }
            guard let value = UInt32(raw), value >= minimum else {
                throw PasswordHashingError(description: "\(name) must be a whole number ≥ \(minimum), got \(raw)")
            }
            return value
        }
    }

    static let saltLength = 16
    static let hashLength = 32

    /// Hashes with the current parameters and a fresh random salt.
    public static func hash(_ password: String) throws -> String {
        try hash(password, parameters: Parameters.current())
    }

    public static func hash(_ password: String, parameters p: Parameters) throws -> String {
        let pwd = bytes(of: password)
        let salt = SecureRandom.bytes(saltLength)
        let length = argon2_encodedlen(p.iterations, p.memoryKiB, p.parallelism,
                                       UInt32(saltLength), UInt32(hashLength), Argon2_id)
        var encoded = [CChar](repeating: 0, count: length)
        let rc = argon2id_hash_encoded(p.iterations, p.memoryKiB, p.parallelism,
                                       pwd, pwd.count, salt, salt.count, hashLength,
                                       &encoded, encoded.count)
        guard rc == ARGON2_OK.rawValue else {
            throw PasswordHashingError(description: "argon2id: " + String(cString: argon2_error_message(rc)))
        }
        return String(decoding: encoded.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// True only for the right password. Anything that is not an Argon2id hash is a mismatch.
    public static func verify(_ password: String, against encoded: String) -> Bool {
        guard encoded.hasPrefix("$argon2id$") else { return false }
        let pwd = bytes(of: password)
        return argon2id_verify(encoded, pwd, pwd.count) == ARGON2_OK.rawValue
    }

    /// True when `encoded` was made with other parameters (or another algorithm) than the
    /// current ones: verify the password, then store a fresh hash.
    public static func needsRehash(_ encoded: String) -> Bool {
        // An invalid environment makes `hash` throw, so a rehash could not happen anyway.
        guard let current = try? Parameters.current() else { return false }
        return parameters(of: encoded) != current
    }

    /// Spends the time of one verification against a hash of nothing, for sign-ins of unknown
    /// users: the response then takes as long as for a known user with a wrong password.
    public static func dummyVerify(_ password: String = "") {
        _ = verify(password, against: dummyHash())
    }

    /// The parameters in a PHC string, nil for anything but a well-formed Argon2id v19 hash.
    static func parameters(of encoded: String) -> Parameters? {
        let parts = encoded.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0].isEmpty, parts[1] == "argon2id", parts[2] == "v=19" else {
            return nil
        }
        var values: [Substring: UInt32] = [:]
        for field in parts[3].split(separator: ",") {
            let kv = field.split(separator: "=", maxSplits: 1)
            guard kv.count == 2, let v = UInt32(kv[1]) else { return nil }
            values[kv[0]] = v
        }
        guard let m = values["m"], let t = values["t"], let p = values["p"], values.count == 3 else { return nil }
        return Parameters(memoryKiB: m, iterations: t, parallelism: p)
    }

    /// NFC, so that the same password typed on systems that compose accents differently
    /// gives the same bytes.
    private static func bytes(of password: String) -> [UInt8] {
        Array(password.precomposedStringWithCanonicalMapping.utf8)
    }

    private static let dummyLock = NSLock()
    nonisolated(unsafe) private static var dummyHashes: [Parameters: String] = [:]

    /// One hash per parameter set, made on first use, so that the dummy costs what a real
    /// verification with the current parameters costs.
    private static func dummyHash() -> String {
        let parameters = (try? Parameters.current()) ?? .recommended  // invalid env: sign-in fails elsewhere
        dummyLock.lock()
        defer { dummyLock.unlock() }
        if let h = dummyHashes[parameters] { return h }
        // Only an allocation failure makes this throw; then try again on the next call.
        guard let h = try? hash(SecureRandom.token(), parameters: parameters) else { return "" }
        dummyHashes[parameters] = h
        return h
    }
}

extension PasswordHasher.Parameters: Hashable {}
