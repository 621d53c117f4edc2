import Foundation

public enum FernetError: Error, Equatable {
    /// The key is not base64url of 32 bytes.
    case invalidKey
    /// Not a token made with this key: wrong key, altered, truncated, bad padding, not base64url.
    /// One case for all, as in the spec and Python's InvalidToken: the reason is no business of
    /// whoever sent the token.
    case invalidToken
}

/// Fernet (https://github.com/fernet/spec, version 0x80), compatible with Python's
/// `cryptography.fernet`: a token is base64url, with padding, of
/// version ‖ timestamp ‖ IV ‖ AES-128-CBC ciphertext ‖ HMAC-SHA256 of everything before it.
///
/// Tokens never expire here (there is no TTL): an encrypted photo is opened whenever its owner
/// brings the key, so the timestamp is written but not checked.
public enum Fernet {
    static let version: UInt8 = 0x80
    static let headerLength = 1 + 8 + 16
    static let tagLength = 32
    /// Plaintext read per step: a multiple of 3 (whole base64 groups) and of the AES block.
    static let plainChunk = 3 * 16 * 1365
    /// Token characters read per step: a multiple of 4 (whole base64 groups).
    static let tokenChunk = 64 * 1024

    /// A new random key, base64url with padding (44 characters), as Python's Fernet.generate_key().
    public static func generateKey() -> String {
        Base64URLEncoder.encode(SecureRandom.bytes(32), padding: true)
    }

    /// Encrypts a file into a Fernet token file, streaming (constant memory whatever the size).
    /// The token file is written with mode 0600 and appears only when complete.
    public static func encrypt(file plain: URL, to token: URL, key: String, now: Date = Date()) throws {
        let key = try Key(key)
        let input = try ReadableFile(plain)
        try AtomicFileWriter.write(to: token) { output in
            try seal(key: key, timestamp: timestamp(now), iv: SecureRandom.bytes(16), chunk: plainChunk,
                     read: input.read(into:), write: output.write)
        }
    }

    /// Authenticates the whole token file first (one streaming pass), then decrypts it (a second
    /// pass) into `plain` (mode 0600, appears only when complete). No plaintext is written from a
    /// token that has not been authenticated, and the second pass checks the MAC again, so a file
    /// changed between the passes is refused too.
    public static func decrypt(file token: URL, to plain: URL, key: String) throws {
        let key = try Key(key)
        let input = try ReadableFile(token)
        try open(key: key, chunk: tokenChunk, read: input.read(into:), write: nil)
        try input.rewind()
        try AtomicFileWriter.write(to: plain) { output in
            try open(key: key, chunk: tokenChunk, read: input.read(into:), write: output.write)
        }
    }

    public static func encrypt(_ data: [UInt8], key: String, now: Date = Date()) throws -> String {
        try encrypt(data, key: key, now: now, iv: SecureRandom.bytes(16))
    }

    /// Leading and trailing whitespace (a pasted token) is ignored.
    public static func decrypt(_ token: String, key: String) throws -> [UInt8] {
        try decrypt(token, key: key, chunk: tokenChunk)
    }

    // MARK: - Internals (tests pass a fixed IV and small chunks)

    static func encrypt(_ data: [UInt8], key: String, now: Date, iv: [UInt8], chunk: Int = plainChunk) throws -> String {
        let key = try Key(key)
        var reader = MemoryReader(bytes: data)
        var token: [UInt8] = []
        try seal(key: key, timestamp: timestamp(now), iv: iv, chunk: chunk,
                 read: { try reader.read(into: $0) }, write: { token += $0 })
        return String(decoding: token, as: UTF8.self)
    }

    /// Decrypts in one pass: the plaintext stays in memory and is returned only once the MAC
    /// and the padding have been checked.
    static func decrypt(_ token: String, key: String, chunk: Int) throws -> [UInt8] {
        let key = try Key(key)
        // Trailing whitespace is the decoder's business; skip leading whitespace here (without
        // Foundation's trimming, which is slow on a token of many megabytes).
        let text = Array(token.utf8)
        let start = text.firstIndex { ![0x09, 0x0a, 0x0d, 0x20].contains($0) } ?? text.count
        var reader = MemoryReader(bytes: text, offset: start)
        var plain: [UInt8] = []
        try open(key: key, chunk: chunk, read: { try reader.read(into: $0) }, write: { plain += $0 })
        return plain
    }

    struct Key {
        let signing: [UInt8]
        let encryption: [UInt8]

        init(_ text: String) throws {
            var decoder = Base64URLDecoder()
            var bytes: [UInt8] = []
            do {
                try decoder.decode(Array(text.trimmingCharacters(in: .whitespacesAndNewlines).utf8), into: &bytes)
                try decoder.finish(into: &bytes)
            } catch {
                throw FernetError.invalidKey
            }
            guard bytes.count == 32 else { throw FernetError.invalidKey }
            signing = Array(bytes[0..<16])
            encryption = Array(bytes[16..<32])
        }
    }

    static func timestamp(_ date: Date) -> UInt64 {
        let seconds = date.timeIntervalSince1970
        // Before 1970 or beyond UInt64: clamp rather than trap on a nonsensical clock.
        guard seconds.isFinite, seconds > 0 else { return 0 }
        return UInt64(min(seconds, 1.8e19).rounded(.down))
    }

    /// Streams `read` (plaintext) into `write` (token text).
    static func seal(key: Key, timestamp: UInt64, iv: [UInt8], chunk: Int,
                     read: (UnsafeMutableRawBufferPointer) throws -> Int,
                     write: ([UInt8]) throws -> Void) throws {
        let mac = HMACSHA256Stream(key: key.signing)
        let cipher = AES128CBCStream(.encrypt, key: key.encryption, iv: iv)
        var encoder = Base64URLEncoder()
        var text: [UInt8] = []

        var header: [UInt8] = [version]
        for shift in stride(from: 56, through: 0, by: -8) { header.append(UInt8(truncatingIfNeeded: timestamp >> UInt64(shift))) }
        header += iv
        mac.update(header[...])
        encoder.encode(header, into: &text)

        var input = [UInt8](repeating: 0, count: max(1, chunk))
        var ciphertext: [UInt8] = []
        while true {
            let n = try input.withUnsafeMutableBytes { try read($0) }
            ciphertext.removeAll(keepingCapacity: true)
            if n == 0 {
                _ = cipher.finish(into: &ciphertext)  // encryption adds the padding; it cannot fail
            } else {
                input.withUnsafeBytes { cipher.update(UnsafeRawBufferPointer(rebasing: $0[0..<n]), into: &ciphertext) }
            }
            mac.update(ciphertext[...])
            encoder.encode(ciphertext, into: &text)
            if n == 0 { break }
            if !text.isEmpty {
                try write(text)
                text.removeAll(keepingCapacity: true)
            }
        }
        encoder.encode(mac.finalize(), into: &text)
        encoder.finish(padding: true, into: &text)
        try write(text)
    }

    /// Streams token text from `read`, checks the version, the length and the MAC, and with
    /// `write` decrypts as it goes. Returns only if the token is authentic and, when decrypting,
    /// its padding is right; the caller discards whatever `write` got if it throws.
    static func open(key: Key, chunk: Int,
                     read: (UnsafeMutableRawBufferPointer) throws -> Int,
                     write: (([UInt8]) throws -> Void)?) throws {
        let mac = HMACSHA256Stream(key: key.signing)
        var decoder = Base64URLDecoder()
        var cipher: AES128CBCStream?
        var input = [UInt8](repeating: 0, count: max(1, chunk))
        // Decoded bytes not yet used: the last 32 may turn out to be the MAC, so they wait.
        var window: [UInt8] = []
        var header: [UInt8] = []
        var ciphertextLength = 0
        var plain: [UInt8] = []

        var atEnd = false
        while !atEnd {
            let n = try input.withUnsafeMutableBytes { try read($0) }
            do {
                if n == 0 {
                    try decoder.finish(into: &window)
                    atEnd = true
                } else {
                    try input.withUnsafeBytes { try decoder.decode(UnsafeRawBufferPointer(rebasing: $0[0..<n]), into: &window) }
                }
            } catch is Base64URLDecoder.Malformed {
                throw FernetError.invalidToken
            }
            let release = window.count - tagLength
            guard release > 0 else { continue }
            mac.update(window[0..<release])
            var body = window[0..<release]
            if header.count < headerLength {
                let take = min(headerLength - header.count, body.count)
                header += body.prefix(take)
                body = body.dropFirst(take)
                guard header[0] == version else { throw FernetError.invalidToken }
                if header.count == headerLength, write != nil {
                    cipher = AES128CBCStream(.decrypt, key: key.encryption, iv: Array(header[9..<headerLength]))
                }
            }
            ciphertextLength += body.count
            if let cipher, let write, !body.isEmpty {
                plain.removeAll(keepingCapacity: true)
                cipher.update(body, into: &plain)
                if !plain.isEmpty { try write(plain) }
            }
            window.removeFirst(release)
        }

        // CBC with PKCS#7 always yields at least one whole block.
        guard header.count == headerLength, window.count == tagLength,
              ciphertextLength > 0, ciphertextLength % 16 == 0 else { throw FernetError.invalidToken }
        guard constantTimeEquals(mac.finalize(), window) else { throw FernetError.invalidToken }
        if let cipher, let write {
            plain.removeAll(keepingCapacity: true)
            guard cipher.finish(into: &plain) else { throw FernetError.invalidToken }
            if !plain.isEmpty { try write(plain) }
        }
    }
}

/// Reads an in-memory buffer the way a file is read, so both share one code path.
private struct MemoryReader {
    let bytes: [UInt8]
    var offset = 0

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, bytes.count - offset)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { source in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<offset + n]))
        }
        offset += n
        return n
    }
}
