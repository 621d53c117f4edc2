import Foundation
import GalleryCrypto

/// AWS Signature Version 4 (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html),
/// as a pure function of the request, the credentials and the time, so tests can compare it
/// with botocore and with the published test suite.
public struct SigV4Signer: Sendable {
    /// The signing name: dynamodb, s3, cognito-idp, secretsmanager.
    public let service: String
    public let region: String

    public static let unsignedPayload = "UNSIGNED-PAYLOAD"
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    public init(service: String, region: String) {
        self.service = service
        self.region = region
    }

    /// S3 signs the path as sent; every other service normalises it and encodes it once more.
    private var isS3: Bool { service == "s3" }

    /// Adds `X-Amz-Date`, the session token, (for S3) `X-Amz-Content-SHA256`, and `Authorization`.
    /// `path` is the path as sent on the wire (already percent-encoded); `query` holds raw,
    /// unencoded pairs; `headers` must include `Host`. Every header given is signed but for
    /// `unsignedHeaders`.
    public func sign(method: String, path: String, query: [(String, String)], headers: inout [(name: String, value: String)],
                     payloadHash: String, credentials: AWSCredentials, date: Date) {
        let stamp = Self.timestamp(date)
        headers.removeAll { ["authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256"].contains($0.name.lowercased()) }
        headers.append((name: "X-Amz-Date", value: stamp))
        if let token = credentials.sessionToken { headers.append((name: "X-Amz-Security-Token", value: token)) }
        if isS3 { headers.append((name: "X-Amz-Content-SHA256", value: payloadHash)) }

        let (canonicalHeaders, signedHeaders) = Self.canonicalHeaders(headers)
        let request = canonicalRequest(method: method, path: path, query: query, canonicalHeaders: canonicalHeaders,
                                       signedHeaders: signedHeaders, payloadHash: payloadHash)
        let signature = self.signature(request, stamp: stamp, secret: credentials.secretAccessKey)
        headers.append((name: "Authorization",
                        value: "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope(stamp)), "
                            + "SignedHeaders=\(signedHeaders), Signature=\(signature)"))
    }

    /// A presigned URL (query-string authentication) valid for `expires` seconds from `date`;
    /// only `host` is signed, the payload is `UNSIGNED-PAYLOAD`.
    public func presignedURL(method: String, scheme: String, host: String, path: String, query: [(String, String)],
                             expires: Int, credentials: AWSCredentials, date: Date) -> String {
        let stamp = Self.timestamp(date)
        var all = query
        all.append(("X-Amz-Algorithm", "AWS4-HMAC-SHA256"))
        all.append(("X-Amz-Credential", "\(credentials.accessKeyID)/\(scope(stamp))"))
        all.append(("X-Amz-Date", stamp))
        all.append(("X-Amz-Expires", String(expires)))
        if let token = credentials.sessionToken { all.append(("X-Amz-Security-Token", token)) }
        all.append(("X-Amz-SignedHeaders", "host"))
        let request = canonicalRequest(method: method, path: path, query: all, canonicalHeaders: "host:\(host)\n",
                                       signedHeaders: "host", payloadHash: Self.unsignedPayload)
        let signature = self.signature(request, stamp: stamp, secret: credentials.secretAccessKey)
        return "\(scheme)://\(host)\(path)?\(Self.canonicalQuery(all))&X-Amz-Signature=\(signature)"
    }

    // MARK: The pieces, internal for tests

    func canonicalRequest(method: String, path: String, query: [(String, String)], canonicalHeaders: String,
                          signedHeaders: String, payloadHash: String) -> String {
        let uri = isS3 ? (path.isEmpty ? "/" : path) : Self.encode(Self.normalizedPath(path), keepSlash: true)
        return [method.uppercased(), uri, Self.canonicalQuery(query), canonicalHeaders, signedHeaders, payloadHash]
            .joined(separator: "\n")
    }

    func scope(_ stamp: String) -> String { "\(stamp.prefix(8))/\(region)/\(service)/aws4_request" }

    func signature(_ canonicalRequest: String, stamp: String, secret: String) -> String {
        let stringToSign = ["AWS4-HMAC-SHA256", stamp, scope(stamp), SHA256.hex(Data(canonicalRequest.utf8))]
            .joined(separator: "\n")
        var key = HMAC.sha256(key: Array("AWS4\(secret)".utf8), message: Array(stamp.prefix(8).utf8))
        for part in [region, service, "aws4_request"] {
            key = HMAC.sha256(key: key, message: Array(part.utf8))
        }
        return Encoding.hex(HMAC.sha256(key: key, message: Array(stringToSign.utf8)))
    }

    /// Hop-by-hop headers and those proxies rewrite are never signed (the SDKs' list).
    static let unsignedHeaders: Set<String> = [
        "authorization", "connection", "expect", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
        "trailer", "transfer-encoding", "upgrade", "user-agent", "x-amzn-trace-id",
    ]

    /// Lower-case names, sorted; values trimmed with inner runs of spaces folded; repeated
    /// headers joined by commas in the order given.
    static func canonicalHeaders(_ headers: [(name: String, value: String)]) -> (String, String) {
        var merged: [String: [String]] = [:]
        for (name, value) in headers where !unsignedHeaders.contains(name.lowercased()) {
            let folded = value.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
            merged[name.lowercased(), default: []].append(folded)
        }
        let names = merged.keys.sorted()
        let canonical = names.map { "\($0):\(merged[$0]!.joined(separator: ","))\n" }.joined()
        return (canonical, names.joined(separator: ";"))
    }

    static func canonicalQuery(_ query: [(String, String)]) -> String {
        let encoded: [(name: String, value: String)] = query.map {
            (name: encode($0.0, keepSlash: false), value: encode($0.1, keepSlash: false))
        }
        let sorted = encoded.sorted { a, b in a.name == b.name ? a.value < b.value : a.name < b.name }
        return sorted.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
    }

    /// RFC 3986 percent-encoding of everything but the unreserved characters (and '/' in paths),
    /// with upper-case hex, as SigV4 requires.
    public static func encode(_ text: String, keepSlash: Bool) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "/") where keepSlash:
                out.append("/")
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    /// RFC 3986 dot-segment removal and collapsed empty segments, keeping a trailing slash.
    static func normalizedPath(_ path: String) -> String {
        var segments: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            if segment == "." { continue }
            if segment == ".." { _ = segments.popLast(); continue }
            segments.append(segment)
        }
        var result = "/" + segments.joined(separator: "/")
        let endsInDirectory = path.hasSuffix("/") || path.hasSuffix("/.") || path.hasSuffix("/..")
        if endsInDirectory && !segments.isEmpty { result += "/" }
        return result
    }

    static func timestamp(_ date: Date) -> String {
        var time = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(format: "%04d%02d%02dT%02d%02d%02dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                      parts.tm_hour, parts.tm_min, parts.tm_sec)
    }
}
