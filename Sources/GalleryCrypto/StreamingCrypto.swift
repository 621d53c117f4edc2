import COpenSSL

/// Incremental HMAC-SHA256 (OpenSSL's EVP_MAC): Fernet authenticates tokens far larger than
/// memory should hold.
final class HMACSHA256Stream {
    private let context: OpaquePointer

    init(key: [UInt8]) {
        guard let mac = EVP_MAC_fetch(nil, "HMAC", nil) else {
            fatalError("OpenSSL has no HMAC implementation")  // a broken installation, not bad input
        }
        defer { EVP_MAC_free(mac) }  // the context keeps its own reference
        guard let ctx = EVP_MAC_CTX_new(mac) else { fatalError("OpenSSL could not allocate an HMAC context") }
        // OSSL_MAC_PARAM_DIGEST is "digest"; the C macro is an alias Swift does not import.
        var digest = Array("SHA256".utf8CString)
        let ok = "digest".withCString { name in
            digest.withUnsafeMutableBufferPointer { value in
                var params = [OSSL_PARAM_construct_utf8_string(name, value.baseAddress, 0), OSSL_PARAM_construct_end()]
                return EVP_MAC_init(ctx, key, key.count, &params)
            }
        }
        guard ok == 1 else { fatalError("OpenSSL could not start HMAC-SHA256") }
        context = ctx
    }

    deinit { EVP_MAC_CTX_free(context) }

    func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        guard EVP_MAC_update(context, base.assumingMemoryBound(to: UInt8.self), bytes.count) == 1 else {
            fatalError("OpenSSL EVP_MAC_update failed")  // cannot happen on a started context
        }
    }

    func update(_ bytes: ArraySlice<UInt8>) {
        bytes.withUnsafeBytes { update($0) }
    }

    func finalize() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length = 0
        guard EVP_MAC_final(context, &out, &length, out.count) == 1, length == 32 else {
            fatalError("OpenSSL EVP_MAC_final failed")
        }
        return out
    }
}

/// AES-128-CBC with PKCS#7 padding, a chunk at a time (OpenSSL's EVP_CIPHER).
final class AES128CBCStream {
    enum Direction { case encrypt, decrypt }

    private let context: OpaquePointer
    private let direction: Direction
    private var scratch: [UInt8] = []  // OpenSSL's output, reused from chunk to chunk

    init(_ direction: Direction, key: [UInt8], iv: [UInt8]) {
        precondition(key.count == 16 && iv.count == 16, "AES-128-CBC takes a 16-byte key and IV")
        guard let ctx = EVP_CIPHER_CTX_new() else { fatalError("OpenSSL could not allocate a cipher context") }
        let ok = direction == .encrypt
            ? EVP_EncryptInit_ex(ctx, EVP_aes_128_cbc(), nil, key, iv)
            : EVP_DecryptInit_ex(ctx, EVP_aes_128_cbc(), nil, key, iv)
        guard ok == 1 else { fatalError("OpenSSL could not start AES-128-CBC") }
        context = ctx
        self.direction = direction
    }

    deinit { EVP_CIPHER_CTX_free(context) }  // also wipes the key schedule

    /// Appends the output for `input` (up to one block more or less than its length) to `out`.
    func update(_ input: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        guard let base = input.baseAddress, input.count > 0 else { return }
        // OpenSSL counts in Int32: feed a large buffer in pieces.
        let piece = 1 << 24
        if input.count > piece {
            var offset = 0
            while offset < input.count {
                let end = min(input.count, offset + piece)
                update(UnsafeRawBufferPointer(rebasing: input[offset..<end]), into: &out)
                offset = end
            }
            return
        }
        if scratch.count < input.count + 16 { scratch = [UInt8](repeating: 0, count: input.count + 16) }
        var written: Int32 = 0
        let ok = scratch.withUnsafeMutableBufferPointer { buffer in
            let source = base.assumingMemoryBound(to: UInt8.self)
            return direction == .encrypt
                ? EVP_EncryptUpdate(context, buffer.baseAddress, &written, source, Int32(input.count))
                : EVP_DecryptUpdate(context, buffer.baseAddress, &written, source, Int32(input.count))
        }
        guard ok == 1 else { fatalError("OpenSSL AES-128-CBC update failed") }  // not data-dependent in CBC
        scratch.withUnsafeBufferPointer { out.append(contentsOf: UnsafeBufferPointer(rebasing: $0[0..<Int(written)])) }
    }

    func update(_ input: ArraySlice<UInt8>, into out: inout [UInt8]) {
        input.withUnsafeBytes { update($0, into: &out) }
    }

    /// Appends the last block: the padding when encrypting; when decrypting, the rest of the
    /// plaintext, or false if the padding is wrong (or the ciphertext not whole blocks).
    func finish(into out: inout [UInt8]) -> Bool {
        var block = [UInt8](repeating: 0, count: 16)
        var written: Int32 = 0
        let ok = direction == .encrypt
            ? EVP_EncryptFinal_ex(context, &block, &written)
            : EVP_DecryptFinal_ex(context, &block, &written)
        guard ok == 1 else { return false }
        out.append(contentsOf: block[0..<Int(written)])
        return true
    }
}
