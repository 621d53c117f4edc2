import CCurl
import Foundation

/// libcurl's process-wide state, set up once before the first handle is made
/// (curl_global_init is not thread-safe, a Swift global initialiser runs exactly once).
enum CurlGlobal {
    private static let initialized: Bool = ccurl_global_init_all() == CURLE_OK

    static func ensure() throws {
        guard initialized else { throw TransportError(code: -1, message: "curl_global_init failed") }
    }
}

/// A failure below HTTP: DNS, connect, TLS, timeout, a body that could not be read or written.
/// Callers may retry these (the AWS client does); `message` never holds request headers.
public struct TransportError: Error, CustomStringConvertible, Sendable {
    public var code: Int
    public var message: String
    public var isTimeout: Bool { code == Int(CURLE_OPERATION_TIMEDOUT.rawValue) }
    public init(code: Int, message: String) {
        self.code = code
        self.message = message
    }
    public var description: String { "curl error \(code): \(message)" }
}

/// One easy handle per thread, kept for the thread's life: libcurl keeps the connection cache,
/// DNS cache and TLS sessions on the handle, so reusing it reuses connections.
final class CurlHandle {
    let raw: UnsafeMutableRawPointer
    /// True while a transfer runs, so a nested request on the same thread gets its own handle.
    var busy = false

    private init(raw: UnsafeMutableRawPointer) { self.raw = raw }
    deinit { curl_easy_cleanup(raw) }

    static func make() throws -> CurlHandle {
        try CurlGlobal.ensure()
        guard let raw = curl_easy_init() else {
            throw TransportError(code: -1, message: "curl_easy_init failed")
        }
        return CurlHandle(raw: raw)
    }

    private static let threadKey: pthread_key_t = {
        var key = pthread_key_t()
        let rc = pthread_key_create(&key) { box in
            guard let box else { return }
            Unmanaged<CurlHandle>.fromOpaque(box).release()
        }
        precondition(rc == 0, "pthread_key_create failed")  // only when the process is out of keys
        return key
    }()

    /// Runs `body` with this thread's handle, reset to defaults (connections survive a reset).
    static func withThreadHandle<T>(_ body: (CurlHandle) throws -> T) throws -> T {
        let handle: CurlHandle
        if let box = pthread_getspecific(threadKey) {
            handle = Unmanaged<CurlHandle>.fromOpaque(box).takeUnretainedValue()
        } else {
            handle = try make()
            pthread_setspecific(threadKey, Unmanaged.passRetained(handle).toOpaque())
        }
        if handle.busy {
            return try body(try make())
        }
        handle.busy = true
        defer { handle.busy = false }
        curl_easy_reset(handle.raw)
        return try body(handle)
    }

    func set(_ option: CURLoption, _ value: Int) throws {
        try check(ccurl_setopt_long(raw, option, value), option)
    }
    func set(_ option: CURLoption, _ value: String) throws {
        // libcurl copies string options (since 7.17), so the temporary C string may go.
        try check(ccurl_setopt_string(raw, option, value), option)
    }
    func set(_ option: CURLoption, pointer: UnsafeMutableRawPointer?) throws {
        try check(ccurl_setopt_pointer(raw, option, pointer), option)
    }
    func set(_ option: CURLoption, offset: Int64) throws {
        try check(ccurl_setopt_off(raw, option, curl_off_t(offset)), option)
    }

    func check(_ code: CURLcode, _ option: CURLoption) throws {
        guard code == CURLE_OK else {
            throw TransportError(code: Int(code.rawValue),
                                 message: "setting option \(option.rawValue): " + String(cString: curl_easy_strerror(code)))
        }
    }

    func responseCode() -> Int {
        var code = 0
        _ = ccurl_getinfo_long(raw, CURLINFO_RESPONSE_CODE, &code)
        return code
    }

    /// Runs the transfer; a failure carries libcurl's detailed message when it has one.
    func perform() throws {
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let code = try errorBuffer.withUnsafeMutableBufferPointer { buffer -> CURLcode in
            try set(CURLOPT_ERRORBUFFER, pointer: UnsafeMutableRawPointer(buffer.baseAddress))
            let rc = curl_easy_perform(raw)
            _ = ccurl_setopt_pointer(raw, CURLOPT_ERRORBUFFER, nil)
            return rc
        }
        guard code == CURLE_OK else {
            let detail = String(cString: errorBuffer)
            throw TransportError(code: Int(code.rawValue),
                                 message: detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail)
        }
    }
}

/// A list of strings libcurl reads (headers, recipients), freed with the value.
final class CurlStringList {
    private(set) var raw: UnsafeMutablePointer<curl_slist>?

    init(_ items: [String]) throws {
        for item in items {
            guard let appended = curl_slist_append(raw, item) else {
                curl_slist_free_all(raw)
                throw TransportError(code: -1, message: "curl_slist_append failed")
            }
            raw = appended
        }
    }

    deinit { curl_slist_free_all(raw) }
}
