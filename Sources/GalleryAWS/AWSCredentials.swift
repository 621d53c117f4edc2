import Foundation
import GalleryCore

/// An access key, with the session token and expiry of temporary credentials.
public struct AWSCredentials: Equatable, Sendable, CustomStringConvertible {
    public var accessKeyID: String
    public var secretAccessKey: String
    public var sessionToken: String?
    public var expiration: Date?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil, expiration: Date? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
    }

    /// Never shows the secret or the token, whoever prints the value.
    public var description: String {
        "AWSCredentials(\(accessKeyID), secret: ***\(sessionToken == nil ? "" : ", token: ***")"
            + (expiration.map { ", expires \($0)" } ?? "") + ")"
    }
}

/// Where credentials come from. Implementations refresh expiring credentials themselves.
public protocol AWSCredentialsProvider: AnyObject, Sendable {
    /// Throws `AWSCredentialsNotFound` when this source is not configured at all (the chain
    /// then asks the next one); any other error is a configured source that failed.
    func credentials() throws -> AWSCredentials
    /// Forgets cached credentials (after a service answered that they expired).
    func invalidate()
}

/// This source has nothing to offer; `reason` says why, for the chain's final message.
public struct AWSCredentialsNotFound: Error, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}

/// Fixed credentials (tests, or keys handed over by the caller).
public final class StaticCredentialsProvider: AWSCredentialsProvider {
    private let value: AWSCredentials
    public init(_ value: AWSCredentials) { self.value = value }
    public func credentials() throws -> AWSCredentials { value }
    public func invalidate() {}
}

/// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and optionally `AWS_SESSION_TOKEN`.
public final class EnvironmentCredentialsProvider: AWSCredentialsProvider {
    private let value: AWSCredentials?

    public init(environment: [String: String]) {
        let id = environment["AWS_ACCESS_KEY_ID"] ?? "", secret = environment["AWS_SECRET_ACCESS_KEY"] ?? ""
        let token = environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        value = id.isEmpty || secret.isEmpty ? nil
            : AWSCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: token)
    }

    public func credentials() throws -> AWSCredentials {
        guard let value else {
            throw AWSCredentialsNotFound(reason: "environment: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY not set")
        }
        return value
    }

    public func invalidate() {}
}

/// The standard chain of the AWS SDKs, minus SSO, assumed roles and credential processes:
/// environment, then the shared files' profile, then the EC2 instance role (IMDSv2).
/// The first source that answers is kept for the life of the process.
public final class CredentialsChain: AWSCredentialsProvider, @unchecked Sendable {  // @unchecked: `chosen` is guarded by `lock`
    private let providers: [AWSCredentialsProvider]
    private let lock = NSLock()
    private var chosen: AWSCredentialsProvider?

    public init(_ providers: [AWSCredentialsProvider]) {
        self.providers = providers
    }

    /// The chain for this environment. Throws when `AWS_PROFILE` names a profile that does not
    /// exist (a mistake worth stopping for, as the SDKs do).
    public static func standard(environment: [String: String]) throws -> CredentialsChain {
        let files = try SharedConfigFiles(environment: environment)
        return CredentialsChain([
            EnvironmentCredentialsProvider(environment: environment),
            try ProfileCredentialsProvider(files: files),
            InstanceMetadataCredentialsProvider(client: InstanceMetadataClient(environment: environment)),
        ])
    }

    public func credentials() throws -> AWSCredentials {
        if let provider = lock.withLock({ chosen }) { return try provider.credentials() }
        var reasons: [String] = []
        for provider in providers {
            do {
                let found = try provider.credentials()
                lock.withLock { chosen = provider }
                return found
            } catch let missing as AWSCredentialsNotFound {
                reasons.append(missing.reason)
            }
        }
        throw GalleryError.unavailable("aws credentials: none found (\(reasons.joined(separator: "; ")))")
    }

    public func invalidate() {
        lock.withLock { chosen }?.invalidate()
    }
}
