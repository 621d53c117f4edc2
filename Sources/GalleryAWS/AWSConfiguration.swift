import Foundation
import GalleryCore

/// Region, credentials, endpoints, retries and timeouts, from the same sources as the AWS SDKs.
public struct AWSConfiguration: Sendable {
    public var region: String
    public var credentials: AWSCredentialsProvider
    /// Endpoints set by configuration; the rest are derived from the region.
    public var endpointOverrides: [String: AWSEndpoint]
    public var retry: RetryPolicy
    public var connectTimeout: TimeInterval
    /// Per call; streamed S3 transfers get a longer one scaled to their size.
    public var timeout: TimeInterval

    public init(region: String, credentials: AWSCredentialsProvider, endpointOverrides: [AWSService: AWSEndpoint] = [:],
                retry: RetryPolicy = .standard, connectTimeout: TimeInterval = 3, timeout: TimeInterval = 20) {
        self.region = region
        self.credentials = credentials
        self.endpointOverrides = Dictionary(uniqueKeysWithValues: endpointOverrides.map { ($0.key.name, $0.value) })
        self.retry = retry
        self.connectTimeout = connectTimeout
        self.timeout = timeout
    }

    public func endpoint(for service: AWSService) -> AWSEndpoint {
        endpointOverrides[service.name] ?? .standard(service, region: region)
    }

    /// Reads, as the SDKs do:
    /// - region: `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's `region`, then the instance's
    ///   region from IMDS;
    /// - credentials: `CredentialsChain.standard` (environment, shared files with `AWS_PROFILE`,
    ///   `AWS_SHARED_CREDENTIALS_FILE`, `AWS_CONFIG_FILE`, then the instance role);
    /// - endpoints: `AWS_ENDPOINT_URL_<SERVICE>` (DYNAMODB, S3, COGNITO_IDENTITY_PROVIDER,
    ///   SECRETS_MANAGER, CLOUDWATCH, AUTO_SCALING, CLOUDFORMATION), then `AWS_ENDPOINT_URL`, then the profile's `endpoint_url`; all
    ///   ignored when `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`;
    /// - retries: `AWS_MAX_ATTEMPTS` or the profile's `max_attempts` (default 3);
    /// - timeouts (ours): `GALLERY_AWS_CONNECT_TIMEOUT_SECONDS` (3), `GALLERY_AWS_TIMEOUT_SECONDS` (20).
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> AWSConfiguration {
        func setting(_ name: String) -> String? { env[name].flatMap { $0.isEmpty ? nil : $0 } }
        let files = try SharedConfigFiles(environment: env)
        let credentials = try CredentialsChain.standard(environment: env)

        var region = setting("AWS_REGION") ?? setting("AWS_DEFAULT_REGION") ?? files.value("region")
        if region == nil {
            do {
                region = try InstanceMetadataClient(environment: env).get("/latest/meta-data/placement/region")
            } catch {
                throw GalleryError.invalid("no AWS region: set AWS_REGION (instance metadata: \(error))")
            }
        }
        guard let region, !region.isEmpty, region.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) else {
            throw GalleryError.invalid("AWS_REGION is not a region name")
        }

        var overrides: [AWSService: AWSEndpoint] = [:]
        if setting("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")?.lowercased() != "true" {
            let shared = setting("AWS_ENDPOINT_URL") ?? files.value("endpoint_url")
            for service in AWSService.all {
                if let url = setting("AWS_ENDPOINT_URL_" + service.environmentSuffix) ?? shared {
                    overrides[service] = try AWSEndpoint(url: url)
                }
            }
        }

        var retry = RetryPolicy.standard
        if let raw = setting("AWS_MAX_ATTEMPTS") ?? files.value("max_attempts") {
            guard let attempts = Int(raw), attempts >= 1 else { throw GalleryError.invalid("AWS_MAX_ATTEMPTS must be ≥ 1") }
            retry.maxAttempts = attempts
        }
        func seconds(_ name: String, _ fallback: TimeInterval) throws -> TimeInterval {
            guard let raw = setting(name) else { return fallback }
            guard let value = Double(raw), value > 0 else { throw GalleryError.invalid("\(name) must be a positive number") }
            return value
        }
        return AWSConfiguration(region: region, credentials: credentials, endpointOverrides: overrides, retry: retry,
                                connectTimeout: try seconds("GALLERY_AWS_CONNECT_TIMEOUT_SECONDS", 3),
                                timeout: try seconds("GALLERY_AWS_TIMEOUT_SECONDS", 20))
    }
}
