import Foundation
import GalleryCore

/// What the client needs to know of a service: how to sign for it, where its default
/// endpoint is, and which `AWS_ENDPOINT_URL_*` variable overrides it.
public struct AWSService: Hashable, Sendable {
    /// For messages: "dynamodb PutItem: …".
    public let name: String
    public let signingName: String
    public let endpointPrefix: String
    /// The SDKs' suffix of the per-service endpoint variable (the service id, upper snake case).
    public let environmentSuffix: String

    public static let dynamoDB = AWSService(name: "dynamodb", signingName: "dynamodb", endpointPrefix: "dynamodb",
                                            environmentSuffix: "DYNAMODB")
    public static let s3 = AWSService(name: "s3", signingName: "s3", endpointPrefix: "s3", environmentSuffix: "S3")
    public static let cognito = AWSService(name: "cognito-idp", signingName: "cognito-idp", endpointPrefix: "cognito-idp",
                                           environmentSuffix: "COGNITO_IDENTITY_PROVIDER")
    public static let secretsManager = AWSService(name: "secretsmanager", signingName: "secretsmanager",
                                                  endpointPrefix: "secretsmanager", environmentSuffix: "SECRETS_MANAGER")
    /// The query-protocol services the AWS deployment uses: the backlog metric, the
    /// termination lifecycle hook, and (in tests) the stack itself.
    public static let cloudWatch = AWSService(name: "cloudwatch", signingName: "monitoring", endpointPrefix: "monitoring",
                                              environmentSuffix: "CLOUDWATCH")
    public static let autoScaling = AWSService(name: "autoscaling", signingName: "autoscaling", endpointPrefix: "autoscaling",
                                               environmentSuffix: "AUTO_SCALING")
    public static let cloudFormation = AWSService(name: "cloudformation", signingName: "cloudformation",
                                                  endpointPrefix: "cloudformation", environmentSuffix: "CLOUDFORMATION")
    public static let all: [AWSService] = [.dynamoDB, .s3, .cognito, .secretsManager, .cloudWatch, .autoScaling, .cloudFormation]
}

/// A service endpoint: scheme, host, optional port and base path.
public struct AWSEndpoint: Equatable, Sendable {
    public let scheme: String
    public let host: String
    public let port: Int?
    public let basePath: String
    /// Set by configuration rather than derived from the region (path-style S3 by default).
    public let isCustom: Bool

    public init(url: String, isCustom: Bool = true) throws {
        guard let parts = URLComponents(string: url), let scheme = parts.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = parts.host, !host.isEmpty,
              parts.query == nil, parts.user == nil else {
            throw GalleryError.invalid("not an endpoint URL (http[s]://host[:port][/path]): \(url)")
        }
        self.scheme = scheme
        self.host = host
        self.port = parts.port
        let path = parts.percentEncodedPath
        basePath = path.hasSuffix("/") ? String(path.dropLast()) : path
        self.isCustom = isCustom
    }

    init(scheme: String, host: String, port: Int?, basePath: String, isCustom: Bool) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.basePath = basePath
        self.isCustom = isCustom
    }

    /// The default endpoint of a service in a region.
    public static func standard(_ service: AWSService, region: String) -> AWSEndpoint {
        let domain = region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
        return AWSEndpoint(scheme: "https", host: "\(service.endpointPrefix).\(region).\(domain)", port: nil,
                           basePath: "", isCustom: false)
    }

    /// `Host` as the client sends it: the port only when it is not the scheme's default.
    public var authority: String {
        guard let port, !(scheme == "http" && port == 80), !(scheme == "https" && port == 443) else { return host }
        return "\(host):\(port)"
    }

    /// The same endpoint with another host (S3 virtual-hosted style: bucket.host).
    func withHost(_ newHost: String) -> AWSEndpoint {
        AWSEndpoint(scheme: scheme, host: newHost, port: port, basePath: basePath, isCustom: isCustom)
    }
}
