import CCurl
import Foundation

/// A request body: bytes in memory, or a region of a file streamed as it is sent.
public enum HTTPBody: Sendable {
    case none
    case bytes(Data)
    /// `length` nil means from `offset` to the end of the file.
    case file(URL, offset: Int64 = 0, length: Int64? = nil)
}

public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: HTTPBody
    /// Overrides the client's total timeout for this request (large uploads); 0 means none.
    public var timeout: TimeInterval?

    public init(method: String, url: String, headers: [(name: String, value: String)] = [],
                body: HTTPBody = .none, timeout: TimeInterval? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    /// The body, unless it went to a file (2xx with `responseBodyTo`).
    public var body: Data

    public init(status: Int, headers: [(name: String, value: String)], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first header of that name, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

/// HTTP over libcurl easy handles, one per thread and reused, so calls from one thread share
/// kept-alive connections. Safe to use from many threads: it holds only settings.
public final class HTTPClient: Sendable {
    public let connectTimeout: TimeInterval
    public let timeout: TimeInterval
    /// A transfer that moves no byte for this long is abandoned, whatever its total timeout.
    public let idleTimeout: TimeInterval
    /// In-memory response bodies above this are refused (a misbehaving server cannot eat memory).
    public let maxMemoryBody: Int

    public init(connectTimeout: TimeInterval = 5, timeout: TimeInterval = 30,
                idleTimeout: TimeInterval = 30, maxMemoryBody: Int = 32 * 1024 * 1024) {
        self.connectTimeout = connectTimeout
        self.timeout = timeout
        self.idleTimeout = idleTimeout
        self.maxMemoryBody = maxMemoryBody
    }

    /// Sends the request and returns whatever status came back; only transport failures throw
    /// (`TransportError`). With `responseBodyTo`, that file is created or truncated and holds
    /// the body when the status is 2xx; other statuses keep their (error) body in memory.
    public func send(_ request: HTTPRequest, responseBodyTo file: URL? = nil) throws -> HTTPResponse {
        var source: BodySource?
        var sourceDescriptor: Int32 = -1
        defer { if sourceDescriptor >= 0 { close(sourceDescriptor) } }
        switch request.body {
        case .none:
            source = nil
        case .bytes(let data):
            source = .bytes(data)
        case .file(let url, let offset, let length):
            sourceDescriptor = open(url.path, O_RDONLY | O_CLOEXEC)
            guard sourceDescriptor >= 0 else {
                throw TransportError(code: -1, message: "opening \(url.lastPathComponent): \(String(cString: strerror(errno)))")
            }
            var info = stat()
            guard fstat(sourceDescriptor, &info) == 0 else {
                throw TransportError(code: -1, message: "stat \(url.lastPathComponent): \(String(cString: strerror(errno)))")
            }
            let available = Int64(info.st_size) - offset
            let count = length ?? available
            guard offset >= 0, count >= 0, count <= available else {
                throw TransportError(code: -1, message: "\(url.lastPathComponent) has no bytes \(offset)..<\(offset + count)")
            }
            source = .file(descriptor: sourceDescriptor, start: offset, length: count)
        }

        var sinkDescriptor: Int32 = -1
        defer { if sinkDescriptor >= 0 { close(sinkDescriptor) } }
        if let file {
            sinkDescriptor = open(file.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard sinkDescriptor >= 0 else {
                throw TransportError(code: -1, message: "creating \(file.lastPathComponent): \(String(cString: strerror(errno)))")
            }
        }

        return try CurlHandle.withThreadHandle { handle in
            let transfer = Transfer(handle: handle, source: source,
                                    sinkDescriptor: sinkDescriptor >= 0 ? sinkDescriptor : nil,
                                    memoryLimit: maxMemoryBody)
            let headerList = try CurlStringList(headerLines(request))
            try configure(handle, request, source: source, headers: headerList)
            try transfer.install()
            do {
                try withExtendedLifetime((transfer, headerList)) { try handle.perform() }
            } catch {
                throw transfer.failure ?? error
            }
            if let failure = transfer.failure { throw failure }
            return HTTPResponse(status: handle.responseCode(), headers: transfer.headers, body: transfer.body)
        }
    }

    private func headerLines(_ request: HTTPRequest) -> [String] {
        var lines = request.headers.map { "\($0.name): \($0.value)" }
        // No "Expect: 100-continue" round trip: AWS answers errors before reading the body anyway.
        lines.append("Expect:")
        // libcurl would otherwise label every POST body as a form.
        if !request.headers.contains(where: { $0.name.lowercased() == "content-type" }) {
            lines.append("Content-Type:")
        }
        return lines
    }

    private func configure(_ handle: CurlHandle, _ request: HTTPRequest, source: BodySource?,
                           headers: CurlStringList) throws {
        try handle.set(CURLOPT_URL, request.url)
        try handle.set(CURLOPT_PROTOCOLS_STR, "http,https")
        try handle.set(CURLOPT_NOSIGNAL, 1)  // threads: no SIGALRM for DNS timeouts
        try handle.set(CURLOPT_CONNECTTIMEOUT_MS, milliseconds(connectTimeout))
        try handle.set(CURLOPT_TIMEOUT_MS, milliseconds(request.timeout ?? timeout))
        try handle.set(CURLOPT_LOW_SPEED_LIMIT, 1)
        try handle.set(CURLOPT_LOW_SPEED_TIME, max(1, Int(idleTimeout.rounded(.up))))
        try handle.set(CURLOPT_HTTPHEADER, pointer: UnsafeMutableRawPointer(headers.raw))

        let method = request.method.uppercased()
        switch method {
        case "GET" where source == nil:
            try handle.set(CURLOPT_HTTPGET, 1)
        case "HEAD":
            try handle.set(CURLOPT_NOBODY, 1)
        case "PUT":
            try handle.set(CURLOPT_UPLOAD, 1)
            try handle.set(CURLOPT_INFILESIZE_LARGE, offset: source?.length ?? 0)
        default:
            // POST mechanics (a sized body from the read callback) under any other verb.
            try handle.set(CURLOPT_POST, 1)
            try handle.set(CURLOPT_POSTFIELDSIZE_LARGE, offset: source?.length ?? 0)
            if method != "POST" { try handle.set(CURLOPT_CUSTOMREQUEST, method) }
        }
    }

    private func milliseconds(_ t: TimeInterval) -> Int { t <= 0 ? 0 : max(1, Int(t * 1000)) }
}
