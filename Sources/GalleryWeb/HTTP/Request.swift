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

/// One request as the responder sees it: the FastCGI parameters nginx sent, and the body.
public final class Request {
    public let method: String
    /// The decoded path without the query string (nginx's `$document_uri`).
    public let path: String
    public let params: [String: String]
    public let body: BodySource
    public private(set) lazy var cookies: [String: String] =
        params["HTTP_COOKIE"].map(CookieHeader.parse) ?? [:]
    /// Query string fields; a malformed query string yields no fields (the handler then sees
    /// missing parameters and answers 400 itself where one is required).
    public private(set) lazy var query: FormFields =
        (try? URLEncoded.parse(params["QUERY_STRING"] ?? "")) ?? FormFields()

    public init(params: [String: String], body: BodySource = BytesBody([])) {
        self.params = params
        self.body = body
        method = params["REQUEST_METHOD"]?.uppercased() ?? "GET"
        let uri = params["DOCUMENT_URI"] ?? params["SCRIPT_NAME"] ?? params["REQUEST_URI"] ?? "/"
        path = uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? "/"
    }

    /// An HTTP request header by its CGI name's tail, e.g. `header("USER_AGENT")`.
    public func header(_ cgiName: String) -> String? { params["HTTP_" + cgiName] }

    /// True when nginx received the request over TLS (its `$https` is passed as HTTPS).
    public var isHTTPS: Bool { (params["HTTPS"] ?? "").lowercased() == "on" }

    public var contentType: String { params["CONTENT_TYPE"] ?? "" }
    public var contentLength: Int? { params["CONTENT_LENGTH"].flatMap { Int($0) } }
}
