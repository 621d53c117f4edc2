import Foundation

/// Where a request's body comes from: the FastCGI stdin stream, or bytes in a test.
public protocol BodySource: AnyObject {
    /// Reads up to `buffer.count` bytes; 0 means the body ended.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int
}

/// A body held in memory (tests, and the in-process test client).
public final class BytesBody: BodySource {
    private let bytes: [UInt8]
    private var offset = 0
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let n = min(buffer.count, bytes.count - offset)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { src in
            buffer.baseAddress!.copyMemory(from: src.baseAddress! + offset, byteCount: n)
        }
        offset += n
        return n
    }
}

/// One request as the application sees it: method, decoded path, query, headers and body.
public final class Request {
    public let method: String
    /// The decoded path without the query string.
    public let path: String
    /// The raw query string (after "?"), undecoded.
    public let queryString: String
    /// Header fields by lower-cased name (a repeated field keeps its last value, except
    /// Cookie, whose values are joined as browsers send them).
    public let headers: [String: String]
    /// True when the client reached the front server over TLS.
    public let isHTTPS: Bool
    /// The address the front server saw the client at (nginx's `$remote_addr`), if given.
    public let peerAddress: String?
    public let body: BodySource
    public private(set) lazy var cookies: [String: String] = headers["cookie"].map(CookieHeader.parse) ?? [:]
    /// Query string fields; a malformed query string yields no fields (the handler then sees
    /// missing parameters and answers 400 itself where one is required).
    public private(set) lazy var query: FormFields = (try? URLEncoded.parse(queryString)) ?? FormFields()

    public init(method: String, path: String, queryString: String = "", headers: [String: String] = [:],
                isHTTPS: Bool = false, peerAddress: String? = nil, body: BodySource = BytesBody([])) {
        self.method = method.uppercased()
        self.path = path
        self.queryString = queryString
        var lowered: [String: String] = [:]
        for (name, value) in headers { lowered[name.lowercased()] = value }
        self.headers = lowered
        self.isHTTPS = isHTTPS
        self.peerAddress = peerAddress
        self.body = body
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    public var contentType: String { headers["content-type"] ?? "" }
    public var contentLength: Int? { headers["content-length"].flatMap { Int($0) } }
}
