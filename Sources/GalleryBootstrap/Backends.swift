import Foundation
import GalleryAWS
import GalleryCore
import GalleryCurl
import GalleryEmbedded
import Logging

/// The stores and the mailer, built once from configuration by each executable.
public struct Backends {
    public var stores: Stores
    public var mailer: Mailer
    /// The AWS side, when any store uses it (for `gallery setup`).
    public var aws: AWSBackend?
}

public enum Bootstrap {
    /// The configuration, after every `secretsmanager:` reference in the environment has been
    /// replaced by its secret (fetched once; an environment without references touches no AWS).
    public static func configuration(
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> (Configuration, environment: [String: String]) {
        let resolved = try SecretResolver.resolving(environment)
        return (try Configuration(environment: resolved), resolved)
    }

    /// Logging to stderr at the configured level, once per process.
    public static func logging(_ config: Configuration, label: String) -> Logger {
        LoggingSystem.bootstrap { name in
            var handler = StreamLogHandler.standardError(label: name)
            handler.logLevel = Logger.Level(rawValue: config.logLevel) ?? .info
            return handler
        }
        return Logger(label: label)
    }

    /// Each seam from the backend configuration names for it (one setting for the whole
    /// backend, overridable per store).
    public static func backends(_ config: Configuration,
                                environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Backends {
        for dir in [config.dataDirectory, config.temporaryDirectory] {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        }
        let chosen = [config.metadataBackend, config.jobsBackend, config.blobsBackend, config.identityBackend]
        let aws = chosen.contains(.aws) ? try AWSBackend(environment: environment) : nil
        let database = chosen.contains(.embedded) ? try SQLiteDatabase(file: config.databaseFile) : nil
        let mailer = try mailer(config)

        func pick<T>(_ backend: Configuration.Backend, embedded: () throws -> T, aws awsStore: (AWSBackend) throws -> T) throws -> T {
            switch backend {
            case .embedded: return try embedded()
            case .aws: return try awsStore(aws!)
            }
        }
        // One transaction for an image and its job where both live in one backend; else the
        // record then the job (`SequentialImageIntake`), which the reconciler backs up.
        var intake: ImageIntake?
        if config.metadataBackend == config.jobsBackend {
            intake = try pick(config.metadataBackend, embedded: { SQLiteImageIntake(database: database!) as ImageIntake },
                              aws: { $0.imageIntake() as ImageIntake })
        }
        let stores = Stores(
            metadata: try pick(config.metadataBackend, embedded: { SQLiteMetadataStore(database: database!) },
                               aws: { $0.metadataStore() }),
            // The catalog lives beside the metadata (same file or tables).
            catalog: try pick(config.metadataBackend, embedded: { SQLiteCatalogStore(database: database!) },
                              aws: { $0.catalogStore() }),
            jobs: try pick(config.jobsBackend, embedded: { SQLiteJobQueue(database: database!) },
                           aws: { $0.jobQueue() }),
            blobs: try pick(config.blobsBackend, embedded: { try FileBlobStore(root: config.blobDirectory) },
                            aws: { try $0.blobStore() }),
            identity: try pick(config.identityBackend,
                               embedded: { LocalIdentityProvider(database: database!, mailer: mailer, siteURL: config.publicURL) },
                               aws: { try $0.identityProvider() }),
            intake: intake)
        return Backends(stores: stores, mailer: mailer, aws: aws)
    }

    static func mailer(_ config: Configuration) throws -> Mailer {
        if let url = config.smtpURL {
            return try SMTPMailer(url: url, from: config.mailFrom)
        }
        return try OutboxMailer(directory: config.outboxDirectory, from: config.mailFrom)
    }

    /// The key behind CSRF tokens: `GALLERY_SECRET_KEY` (base64), else read from its file, or
    /// made (0600) on first start. Every responder of a site must share it.
    public static func secretKey(_ config: Configuration) throws -> [UInt8] {
        if let encoded = config.secretKey {
            guard let key = Data(base64Encoded: encoded), key.count >= 32 else {
                throw GalleryError.invalid("GALLERY_SECRET_KEY must be base64 of at least 32 bytes")
            }
            return [UInt8](key)
        }
        let path = config.secretKeyFile.path
        if let data = FileManager.default.contents(atPath: path) {
            guard data.count >= 32 else {
                throw GalleryError.invalid("\(path) must hold at least 32 bytes")
            }
            return [UInt8](data)
        }
        try FileManager.default.createDirectory(at: config.secretKeyFile.deletingLastPathComponent(),
                                                withIntermediateDirectories: true)
        var bytes = [UInt8](repeating: 0, count: 32)
        var rng = SystemRandomNumberGenerator()
        for i in bytes.indices { bytes[i] = rng.next() }
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes),
                                             attributes: [.posixPermissions: 0o600]) else {
            throw GalleryError.unavailable("cannot write \(path)")
        }
        return bytes
    }
}

extension Bootstrap {
    /// `gallery backup`: the embedded backend only (on AWS, point-in-time recovery of the
    /// tables and versioning of the bucket are the backups; see README).
    public static func backup(_ config: Configuration, to directory: URL) throws -> EmbeddedBackup.Summary {
        try requireEmbedded(config)
        return try EmbeddedBackup.take(database: try SQLiteDatabase(file: config.databaseFile), blobRoot: config.blobDirectory,
                                       to: directory)
    }

    /// `gallery restore`: into a data directory without a database or blobs yet.
    public static func restore(_ config: Configuration, from directory: URL) throws -> EmbeddedBackup.Summary {
        try requireEmbedded(config)
        return try EmbeddedBackup.restore(from: directory, databaseFile: config.databaseFile, blobRoot: config.blobDirectory)
    }

    private static func requireEmbedded(_ config: Configuration) throws {
        guard config.metadataBackend == .embedded, config.blobsBackend == .embedded else {
            throw GalleryError.invalid("backup and restore are for the embedded backend; on AWS use point-in-time recovery and bucket versioning")
        }
    }
}
