import Foundation
import GalleryCore
import GalleryCrypto
import GalleryCurl
import Logging

/// One call to an AWS service, before signing. `path` is percent-encoded as it goes on the
/// wire (relative to the endpoint's base path); `query` holds raw pairs.
struct AWSRequest {
    var method: String
    var path: String = "/"
    var query: [(String, String)] = []
    var headers: [(name: String, value: String)] = []
    var body: HTTPBody = .none
    /// Hex SHA-256 of the body, or `UNSIGNED-PAYLOAD` for streamed files (S3 over TLS).
    var payloadHash: String = SigV4Signer.emptyPayloadHash
    var timeout: TimeInterval?
    /// False sends the call without SigV4 (operations the service model marks noAuth).
    var signed = true
}

/// Signs, sends and retries calls to AWS over libcurl. Safe to share between threads: each
/// thread uses its own kept-alive connection (see `HTTPClient`).
public final class AWSClient: Sendable {
    public let configuration: AWSConfiguration
    let http: HTTPClient
    let logger: Logger

    public init(configuration: AWSConfiguration, logger: Logger = Logger(label: "gallery.aws")) {
        self.configuration = configuration
        self.http = HTTPClient(connectTimeout: configuration.connectTimeout, timeout: configuration.timeout,
                               idleTimeout: configuration.timeout)
        self.logger = logger
    }

    /// Sends until a 2xx answer, retrying what the retry policy allows; anything else throws
    /// `AWSError` (credentials problems throw `GalleryError.unavailable`).
    func send(_ service: AWSService, _ operation: String, _ request: AWSRequest, endpoint: AWSEndpoint? = nil,
              responseBodyTo file: URL? = nil) throws -> HTTPResponse {
        let endpoint = endpoint ?? configuration.endpoint(for: service)
        let signer = SigV4Signer(service: service.signingName, region: configuration.region)
        let path = endpoint.basePath + request.path
        let url = "\(endpoint.scheme)://\(endpoint.authority)\(path)"
            + (request.query.isEmpty ? "" : "?" + SigV4Signer.canonicalQuery(request.query))
        let retry = configuration.retry
        var attempt = 0
        var renewedCredentials = false
        while true {
            attempt += 1
            var headers = request.headers
            headers.append((name: "Host", value: endpoint.authority))
            headers.append((name: "User-Agent", value: "gallery-aws/1 libcurl"))
            if request.signed {
                let credentials: AWSCredentials
                do {
                    credentials = try configuration.credentials.credentials()
                } catch {
                    throw GalleryError.unavailable("\(service.name) \(operation): \(error.asGalleryError)")
                }
                signer.sign(method: request.method, path: path, query: request.query, headers: &headers,
                            payloadHash: request.payloadHash, credentials: credentials, date: Date())
            }
            var failure: AWSError
            var throttled = false
            do {
                let response = try http.send(HTTPRequest(method: request.method, url: url, headers: headers,
                                                         body: request.body, timeout: request.timeout),
                                             responseBodyTo: file)
                if (200..<300).contains(response.status) { return response }
                let (code, message) = Self.errorDetails(response)

                failure = AWSError(service: service.name, operation: operation, status: response.status, code: code,
                                   message: message, attempts: attempt)
                if RetryPolicy.expiredCredentialCodes.contains(code), request.signed, !renewedCredentials {
                    // Temporary credentials ran out early: fetch new ones once, at no cost in attempts.
                    configuration.credentials.invalidate()
                    renewedCredentials = true
                    attempt -= 1
                    continue
                }
                throttled = RetryPolicy.throttlingCodes.contains(code) || response.status == 429
                let transient = response.status >= 500 || RetryPolicy.transientCodes.contains(code)
                guard throttled || transient else { throw failure }
            } catch let error as TransportError {
                failure = AWSError(service: service.name, operation: operation, status: 0,
                                   code: error.isTimeout ? "Timeout" : "Transport", message: error.message, attempts: attempt)
            }
            guard attempt < retry.maxAttempts else { throw failure }
            let pause = retry.delay(retry: attempt, throttled: throttled)
            logger.warning("retrying in \(String(format: "%.3f", pause))s: \(failure)")
            Thread.sleep(forTimeInterval: pause)
        }
    }

    /// A call of the JSON protocols (DynamoDB: 1.0; Cognito, Secrets Manager: 1.1). Public for
    /// the tests' set-up of moto (a user pool), which has no store of its own to go through.
    public func json(_ service: AWSService, target: String, _ operation: String, version: String, _ body: [String: Any],
              signed: Bool = true) throws -> [String: Any] {
        let data: Data
        do {
            data = try JSONSerialization.data(withJSONObject: body)
        } catch {
            throw GalleryError.invalid("\(service.name) \(operation): request is not JSON: \(error)")
        }
        let request = AWSRequest(method: "POST", headers: [("Content-Type", "application/x-amz-json-\(version)"),
                                                           ("X-Amz-Target", "\(target).\(operation)")],
                                 body: .bytes(data), payloadHash: SHA256.hex(data), signed: signed)
        let response = try send(service, operation, request)
        if response.body.isEmpty { return [:] }
        guard let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any] else {
            // The parse error itself says nothing more useful than this.
            throw AWSError(service: service.name, operation: operation, status: response.status, code: "BadResponse",
                           message: "the answer is not a JSON object", attempts: 1)
        }
        return object
    }

    /// The error code and message of a failed answer, from any of the protocols' shapes. The
    /// message goes into logs, so tokens it may echo (moto quotes the access token) are cut
    /// out and it is kept short.
    static func errorDetails(_ response: HTTPResponse) -> (code: String, message: String) {
        let (code, message) = rawErrorDetails(response)
        return (code, redacted(message))
    }

    static func redacted(_ message: String) -> String {
        // JWTs (Cognito tokens) and any other long run of token characters.
        let scrubbed = message.replacingOccurrences(of: #"[A-Za-z0-9_\-+/=.]{64,}"#, with: "<redacted>", options: .regularExpression)
        return scrubbed.count > 300 ? String(scrubbed.prefix(300)) + "…" : scrubbed
    }

    private static func rawErrorDetails(_ response: HTTPResponse) -> (code: String, message: String) {
        var code = response.header("x-amzn-ErrorType").map { String($0.split(separator: ":").first ?? "") } ?? ""
        var message = ""
        if let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any] {
            // Not JSON is fine: the XML shapes are tried next.
            if code.isEmpty, let type = (object["__type"] ?? object["code"] ?? object["Code"]) as? String {
                code = type
            }
            message = ((object["message"] ?? object["Message"]) as? String) ?? ""
        } else if let root = XMLNode.parse(response.body) {
            // <Error> (S3), <ErrorResponse><Error> (query APIs), <Response><Errors><Error> (EC2 style).
            let error = root.find("Error") ?? root
            if code.isEmpty { code = error["Code"] ?? "" }
            message = error["Message"] ?? ""
        }
        if let hash = code.lastIndex(of: "#") { code = String(code[code.index(after: hash)...]) }
        if code.isEmpty {
            switch response.status {
            case 404: code = "NotFound"
            case 403: code = "Forbidden"
            case 400: code = "BadRequest"
            default: code = "HTTP\(response.status)"
            }
        }
        return (code, message)
    }
}
