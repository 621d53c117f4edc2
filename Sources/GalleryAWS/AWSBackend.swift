import Foundation
import GalleryCore
import Logging

/// The AWS backend's own settings (the AWS ones — region, credentials, endpoints — are read
/// by `AWSConfiguration.fromEnvironment`). Secret references are resolved before this reads.
public struct AWSBackendSettings: Sendable {
    /// `GALLERY_AWS_PREFIX` (gallery-): table names are `<prefix>profiles`, `…sessions`,
    /// `…images`, `…jobs`, `…albums`, `…album-images`, `…terms`.
    public var tablePrefix: String
    /// `GALLERY_S3_BUCKET`.
    public var bucket: String?
    /// `GALLERY_S3_PATH_STYLE` (true/false): default true exactly when an S3 endpoint is configured.
    public var s3PathStyle: Bool?
    /// `GALLERY_S3_PUBLIC_ENDPOINT`: where browsers reach S3, if not where the servers do.
    public var s3PublicEndpoint: String?
    /// `GALLERY_S3_URL_SECONDS` (3600): lifetime of presigned image URLs.
    public var s3URLLifetime: TimeInterval
    /// `GALLERY_S3_MULTIPART_MB` (16) / `GALLERY_S3_PART_MB` (8).
    public var multipartThreshold: Int64
    public var partSize: Int64
    /// `GALLERY_COGNITO_USER_POOL_ID`, `GALLERY_COGNITO_CLIENT_ID`, `GALLERY_COGNITO_CLIENT_SECRET`.
    public var cognitoUserPoolID: String?
    public var cognitoClientID: String?
    public var cognitoClientSecret: String?
    /// `GALLERY_JOB_SHARDS` (4): partitions of the claimable-jobs index. Only ever raise it
    /// while no job is queued (claimers read shards 0…N-1).
    public var jobShards: Int
    /// `GALLERY_JOB_DONE_DAYS` (7): done jobs stay listable this long.
    public var doneJobRetention: TimeInterval
    /// `GALLERY_SEARCH_BUDGET` (1000): candidate photos one search request reads at most on
    /// DynamoDB before it answers with a short page and a cursor to go on from.
    public var searchBudget: Int

    public init(environment env: [String: String]) throws {
        func setting(_ name: String) -> String? { env[name].flatMap { $0.isEmpty ? nil : $0 } }
        func number(_ name: String, _ fallback: Int, min: Int = 1) throws -> Int {
            guard let raw = setting(name) else { return fallback }
            guard let value = Int(raw), value >= min else { throw GalleryError.invalid("\(name) must be a whole number ≥ \(min)") }
            return value
        }
        tablePrefix = setting("GALLERY_AWS_PREFIX") ?? "gallery-"
        guard tablePrefix.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) }), tablePrefix.count <= 200 else {
            throw GalleryError.invalid("GALLERY_AWS_PREFIX may hold letters, digits, '_', '-' and '.'")
        }
        bucket = setting("GALLERY_S3_BUCKET")
        switch setting("GALLERY_S3_PATH_STYLE")?.lowercased() {
        case nil: s3PathStyle = nil
        case "true", "1", "yes": s3PathStyle = true
        case "false", "0", "no": s3PathStyle = false
        default: throw GalleryError.invalid("GALLERY_S3_PATH_STYLE must be true or false")
        }
        s3PublicEndpoint = setting("GALLERY_S3_PUBLIC_ENDPOINT")
        s3URLLifetime = TimeInterval(try number("GALLERY_S3_URL_SECONDS", 3600, min: 60))
        multipartThreshold = Int64(try number("GALLERY_S3_MULTIPART_MB", 16, min: 5)) << 20
        partSize = Int64(try number("GALLERY_S3_PART_MB", 8, min: 5)) << 20
        cognitoUserPoolID = setting("GALLERY_COGNITO_USER_POOL_ID")
        cognitoClientID = setting("GALLERY_COGNITO_CLIENT_ID")
        cognitoClientSecret = setting("GALLERY_COGNITO_CLIENT_SECRET")
        jobShards = try number("GALLERY_JOB_SHARDS", 4)
        doneJobRetention = TimeInterval(try number("GALLERY_JOB_DONE_DAYS", 7)) * 24 * 3600
        searchBudget = try number("GALLERY_SEARCH_BUDGET", 1000, min: 50)
    }
}

/// Everything the executables need of AWS, made once from the environment:
///
///     let env = try SecretResolver.resolving(ProcessInfo.processInfo.environment)
///     let aws = try AWSBackend(environment: env)
///     let metadata = aws.metadataStore(), jobs = aws.jobQueue(), catalog = aws.catalogStore()
///     let blobs = try aws.blobStore(), accounts = try aws.identityProvider()
public final class AWSBackend: Sendable {
    public let client: AWSClient
    public let settings: AWSBackendSettings
    public let tables: DynamoTables

    public init(environment: [String: String], logger: Logger = Logger(label: "gallery.aws")) throws {
        settings = try AWSBackendSettings(environment: environment)
        client = AWSClient(configuration: try .fromEnvironment(environment), logger: logger)
        tables = DynamoTables(prefix: settings.tablePrefix)
        metadata = DynamoMetadataStore(client: client, tables: tables)
    }

    public init(client: AWSClient, settings: AWSBackendSettings) {
        self.client = client
        self.settings = settings
        self.tables = DynamoTables(prefix: settings.tablePrefix)
        metadata = DynamoMetadataStore(client: client, tables: tables)
    }

    /// Made once: the catalog store works over the same one.
    private let metadata: DynamoMetadataStore

    public func metadataStore() -> DynamoMetadataStore { metadata }

    /// On the same tables as `metadataStore()` (and the catalog's own).
    public func catalogStore() -> DynamoCatalogStore {
        DynamoCatalogStore(metadata: metadata, searchBudget: settings.searchBudget)
    }

    public func jobQueue() -> DynamoJobQueue {
        DynamoJobQueue(client: client, tables: tables, shards: settings.jobShards, doneRetention: settings.doneJobRetention)
    }

    /// Image and job in one transaction, when both live in DynamoDB.
    public func imageIntake() -> DynamoImageIntake {
        DynamoImageIntake(metadata: metadata, jobs: jobQueue())
    }

    public func bucket() throws -> S3Bucket {
        guard let name = settings.bucket else { throw GalleryError.invalid("GALLERY_S3_BUCKET is not set") }
        return try S3Bucket(client: client, name: name, pathStyle: settings.s3PathStyle,
                            presignEndpoint: try settings.s3PublicEndpoint.map { try AWSEndpoint(url: $0) })
    }

    public func blobStore() throws -> S3BlobStore {
        try S3BlobStore(bucket: try bucket(), multipartThreshold: settings.multipartThreshold, partSize: settings.partSize,
                        urlLifetime: settings.s3URLLifetime)
    }

    public func identityProvider() throws -> CognitoIdentityProvider {
        guard let pool = settings.cognitoUserPoolID, let clientID = settings.cognitoClientID else {
            throw GalleryError.invalid("GALLERY_COGNITO_USER_POOL_ID and GALLERY_COGNITO_CLIENT_ID are not set")
        }
        return try CognitoIdentityProvider(client: client, userPoolID: pool, clientID: clientID,
                                           clientSecret: settings.cognitoClientSecret)
    }

    /// For `gallery setup`: the tables, and the bucket when one is configured.
    public func setup() throws -> AWSSetup {
        AWSSetup(client: client, tables: tables, bucket: settings.bucket == nil ? nil : try bucket())
    }
}
