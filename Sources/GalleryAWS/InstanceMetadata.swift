import Foundation
import GalleryCore
import GalleryCurl

/// The EC2 instance metadata service, IMDSv2 only: a session token from `PUT /latest/api/token`,
/// sent with every `GET`. `AWS_EC2_METADATA_SERVICE_ENDPOINT` moves it (tests run a fake on
/// loopback); `AWS_EC2_METADATA_DISABLED=true` turns it off.
public final class InstanceMetadataClient: @unchecked Sendable {  // @unchecked: `token` is guarded by `lock`
    public let endpoint: String
    public let disabled: Bool
    private let http: HTTPClient
    private let lock = NSLock()
    private var token: (value: String, expires: Date)?
    static let tokenLifetime: TimeInterval = 21_600

    public init(environment: [String: String], http: HTTPClient = HTTPClient(connectTimeout: 1, timeout: 2, idleTimeout: 2)) {
        let configured = environment["AWS_EC2_METADATA_SERVICE_ENDPOINT"].flatMap { $0.isEmpty ? nil : $0 }
        endpoint = (configured ?? "http://169.254.169.254").trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        disabled = environment["AWS_EC2_METADATA_DISABLED"]?.lowercased() == "true"
        self.http = http
    }

    /// The text at `path` (e.g. `/latest/meta-data/placement/region`). Throws
    /// `AWSCredentialsNotFound` when the service is off or unreachable (not on EC2).
    public func get(_ path: String) throws -> String {
        guard let text = try getIfPresent(path) else {
            throw AWSCredentialsNotFound(reason: "instance metadata: \(path) not found")
        }
        return text
    }

    /// nil when the service answers 404 (a spot notice not yet given, an instance in no group).
    public func getIfPresent(_ path: String) throws -> String? {
        guard !disabled else { throw AWSCredentialsNotFound(reason: "instance metadata: AWS_EC2_METADATA_DISABLED") }
        var lastStatus = 0
        // A second try with a fresh token: the cached one may have been revoked.
        for attempt in 0..<2 {
            let token = try sessionToken(fresh: attempt > 0)
            let response = try send(HTTPRequest(method: "GET", url: endpoint + path,
                                                headers: [("X-aws-ec2-metadata-token", token)]))
            if response.status == 200 { return String(decoding: response.body, as: UTF8.self) }
            lastStatus = response.status
            if response.status != 401 { break }
        }
        if lastStatus == 404 { return nil }
        throw GalleryError.unavailable("instance metadata GET \(path): HTTP \(lastStatus)")
    }

    private func sessionToken(fresh: Bool) throws -> String {
        if !fresh, let token = lock.withLock({ token }), token.expires > Date() { return token.value }
        let response = try send(HTTPRequest(method: "PUT", url: endpoint + "/latest/api/token",
                                            headers: [("X-aws-ec2-metadata-token-ttl-seconds", String(Int(Self.tokenLifetime)))]))
        guard response.status == 200, !response.body.isEmpty else {
            throw AWSCredentialsNotFound(reason: "instance metadata: token request answered HTTP \(response.status)")
        }
        let value = String(decoding: response.body, as: UTF8.self)
        lock.withLock { token = (value, Date().addingTimeInterval(Self.tokenLifetime - 60)) }
        return value
    }

    private func send(_ request: HTTPRequest) throws -> HTTPResponse {
        do {
            return try http.send(request)
        } catch let error as TransportError {
            throw AWSCredentialsNotFound(reason: "instance metadata at \(endpoint): \(error.message)")
        }
    }
}

/// The instance role's temporary credentials, refreshed `refreshMargin` before they expire.
/// A failed refresh keeps the old credentials while they are still valid, as the SDKs do.
public final class InstanceMetadataCredentialsProvider: AWSCredentialsProvider, @unchecked Sendable {  // @unchecked: `cached` is guarded by `lock`
    private let client: InstanceMetadataClient
    private let refreshMargin: TimeInterval
    private let lock = NSLock()
    private var cached: AWSCredentials?

    public init(client: InstanceMetadataClient, refreshMargin: TimeInterval = 600) {
        self.client = client
        self.refreshMargin = refreshMargin
    }

    public func credentials() throws -> AWSCredentials {
        // One fetch at a time: the other threads wait and share its result.
        try lock.withLock {
            let now = Date()
            if let cached, let expiration = cached.expiration, expiration.timeIntervalSince(now) > refreshMargin {
                return cached
            }
            do {
                let fresh = try fetch()
                cached = fresh
                return fresh
            } catch {
                if let cached, let expiration = cached.expiration, expiration > now.addingTimeInterval(30) { return cached }
                throw error
            }
        }
    }

    public func invalidate() {
        lock.withLock { cached = nil }
    }

    private func fetch() throws -> AWSCredentials {
        let base = "/latest/meta-data/iam/security-credentials/"
        guard let role = try client.get(base).split(whereSeparator: \.isNewline).first.map(String.init), !role.isEmpty else {
            throw AWSCredentialsNotFound(reason: "instance metadata: no instance role")
        }
        let body = try client.get(base + role)
        struct Document: Decodable {
            var Code: String?
            var AccessKeyId: String
            var SecretAccessKey: String
            var Token: String
            var Expiration: String
        }
        let document: Document
        do {
            document = try JSONDecoder().decode(Document.self, from: Data(body.utf8))
        } catch {
            throw GalleryError.unavailable("instance metadata: the credentials of role \(role) are not a credentials document")
        }
        guard document.Code == nil || document.Code == "Success" else {
            throw GalleryError.unavailable("instance metadata: role \(role) credentials: \(document.Code ?? "")")
        }
        guard let expiration = ISO8601DateFormatter().date(from: document.Expiration) else {
            throw GalleryError.unavailable("instance metadata: unreadable Expiration \(document.Expiration)")
        }
        return AWSCredentials(accessKeyID: document.AccessKeyId, secretAccessKey: document.SecretAccessKey,
                              sessionToken: document.Token, expiration: expiration)
    }
}
