import Foundation
import GalleryAWS
import GalleryCore
import GalleryCurl
import GalleryEmbedded
import Logging

/// The four seams and the mailer, built once from configuration by each executable.
public struct Backends {
    public var metadata: MetadataStore
    public var jobs: JobQueue
    public var blobs: BlobStore
    public var identity: IdentityProvider
    public var mailer: Mailer
}

public enum Bootstrap {
    /// Logging to stderr at the configured level, once per process.
    public static func logging(_ config: Configuration, label: String) -> Logger {
        LoggingSystem.bootstrap { name in
            var handler = StreamLogHandler.standardError(label: name)
            handler.logLevel = Logger.Level(rawValue: config.logLevel) ?? .info
            return handler
        }
        return Logger(label: label)
    }

    public static func backends(_ config: Configuration) throws -> Backends {
        for dir in [config.dataDirectory, config.temporaryDirectory, config.blobDirectory] {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        }
        switch config.backend {
        case .embedded:
            return try embedded(config)
        case .aws:
            return try aws(config)
        }
    }

    static func mailer(_ config: Configuration) throws -> Mailer {
        if let url = config.smtpURL {
            return try SMTPMailer(url: url, from: config.mailFrom)
        }
        try FileManager.default.createDirectory(at: config.outboxDirectory, withIntermediateDirectories: true)
        return try OutboxMailer(directory: config.outboxDirectory, from: config.mailFrom)
    }

    static func embedded(_ config: Configuration) throws -> Backends {
        let database = try SQLiteDatabase(file: config.databaseFile)
        let mailer = try mailer(config)
        return Backends(metadata: SQLiteMetadataStore(database: database),
                        jobs: SQLiteJobQueue(database: database),
                        blobs: try FileBlobStore(root: config.blobDirectory),
                        identity: LocalIdentityProvider(database: database, mailer: mailer,
                                                        siteURL: config.publicURL),
                        mailer: mailer)
    }

    static func aws(_ config: Configuration) throws -> Backends {
        throw GalleryError.invalid("GALLERY_BACKEND=aws is not wired in yet")
    }

    /// The key behind CSRF tokens: read from its file, or made (0600) on first start. Every
    /// responder of a site must share it, so with several hosts set the same file on each
    /// (or, on AWS, a Secrets Manager reference).
    public static func secretKey(_ config: Configuration) throws -> [UInt8] {
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
