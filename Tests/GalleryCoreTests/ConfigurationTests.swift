import Foundation
import GalleryCore
import GalleryTestSupport
import Testing

/// One whole-number setting: its variable, its default, the smallest (and largest) value it
/// takes, and how the raw number becomes the field (seconds from milliseconds, bytes from MB).
struct NumberSetting: Sendable, CustomTestStringConvertible {
    let name: String
    let defaultRaw: Int
    var min = 1
    var max: Int? = nil
    let field: @Sendable (Configuration) -> Double
    var fromRaw: @Sendable (Int) -> Double = { Double($0) }

    var testDescription: String { name }
}

/// `Configuration(environment:)`: every setting's default, its parsing, and a clear refusal
/// (naming the variable) of values it cannot take.
@Suite struct ConfigurationTests {
    static let numbers: [NumberSetting] = [
        NumberSetting(name: "GALLERY_THREADS", defaultRaw: 4, field: { Double($0.threads) }),
        NumberSetting(name: "GALLERY_MAX_UPLOAD_BYTES", defaultRaw: 32 << 20, field: { Double($0.maxUploadBytes) }),
        NumberSetting(name: "GALLERY_MAX_REQUEST_BYTES", defaultRaw: 128 << 20, field: { Double($0.maxRequestBytes) }),
        NumberSetting(name: "GALLERY_MAX_FILES", defaultRaw: 20, field: { Double($0.maxFilesPerUpload) }),
        NumberSetting(name: "GALLERY_MAX_PIXELS", defaultRaw: 50_000_000, field: { Double($0.maxPixels) }),
        NumberSetting(name: "GALLERY_THUMB_SIZE", defaultRaw: 320, min: 16, max: 16383, field: { Double($0.thumbnailSize) }),
        NumberSetting(name: "GALLERY_PREVIEW_SIZE", defaultRaw: 1280, min: 16, max: 16383, field: { Double($0.previewSize) }),
        NumberSetting(name: "GALLERY_WEBP_QUALITY", defaultRaw: 80, max: 101, field: { Double($0.webpQuality) }),
        NumberSetting(name: "GALLERY_PAGE_SIZE", defaultRaw: 24, field: { Double($0.pageSize) }),
        NumberSetting(name: "GALLERY_QUOTA_BYTES", defaultRaw: 5 << 30, field: { Double($0.quotaBytes) }),
        NumberSetting(name: "GALLERY_QUOTA_IMAGES", defaultRaw: 10_000, field: { Double($0.quotaImages) }),
        NumberSetting(name: "GALLERY_SESSION_IDLE_SECONDS", defaultRaw: 604_800, field: { $0.sessionIdle }),
        NumberSetting(name: "GALLERY_SESSION_MAX_SECONDS", defaultRaw: 2_592_000, field: { $0.sessionMax }),
        NumberSetting(name: "GALLERY_WORKER_JOBS", defaultRaw: 1, field: { Double($0.workerJobs) }),
        NumberSetting(name: "GALLERY_LEASE_SECONDS", defaultRaw: 60, field: { $0.leaseSeconds }),
        NumberSetting(name: "GALLERY_MAX_ATTEMPTS", defaultRaw: 3, field: { Double($0.maxAttempts) }),
        NumberSetting(name: "GALLERY_MAX_INTERRUPTIONS", defaultRaw: 5, field: { Double($0.maxInterruptions) }),
        NumberSetting(name: "GALLERY_RETRY_BASE_MS", defaultRaw: 2000, min: 0, field: { $0.retryBase },
                      fromRaw: { Double($0) / 1000 }),
        NumberSetting(name: "GALLERY_RETRY_MAX_MS", defaultRaw: 300_000, min: 0, field: { $0.retryCap },
                      fromRaw: { Double($0) / 1000 }),
        NumberSetting(name: "GALLERY_POLL_MIN_MS", defaultRaw: 50, field: { $0.pollMinimum }, fromRaw: { Double($0) / 1000 }),
        NumberSetting(name: "GALLERY_POLL_MAX_MS", defaultRaw: 1000, field: { $0.pollMaximum }, fromRaw: { Double($0) / 1000 }),
        NumberSetting(name: "GALLERY_SHUTDOWN_SECONDS", defaultRaw: 30, min: 0, field: { $0.shutdownDeadline }),
        NumberSetting(name: "GALLERY_REPAIR_SECONDS", defaultRaw: 3600, min: 0, field: { $0.repairInterval }),
        NumberSetting(name: "GALLERY_DECODE_TIMEOUT_SECONDS", defaultRaw: 60, field: { $0.decodeTimeout }),
        NumberSetting(name: "GALLERY_DECODE_MEMORY_MB", defaultRaw: 1024, min: 64, max: Int.max >> 20,
                      field: { Double($0.decodeMemoryBytes) }, fromRaw: { Double($0 << 20) }),
        NumberSetting(name: "GALLERY_DECODE_CPU_SECONDS", defaultRaw: 30, field: { Double($0.decodeCPUSeconds) }),
        NumberSetting(name: "GALLERY_WORKER_METRICS_SECONDS", defaultRaw: 15, field: { $0.workerMetricsInterval }),
    ]

    /// The variables read in Configuration.swift that are not numbers, each tested below.
    static let others: Set<String> = [
        "GALLERY_BACKEND", "GALLERY_METADATA_BACKEND", "GALLERY_JOBS_BACKEND", "GALLERY_BLOBS_BACKEND",
        "GALLERY_IDENTITY_BACKEND", "GALLERY_DATA_DIR", "GALLERY_TEMPLATES", "GALLERY_LISTEN", "GALLERY_SMTP_URL",
        "GALLERY_MAIL_FROM", "GALLERY_PUBLIC_URL", "GALLERY_SECRET_KEY_FILE", "GALLERY_SECRET_KEY", "GALLERY_LOG_LEVEL",
        "GALLERY_WORKER_METRICS_FILE",
    ]

    /// The message of the `.invalid` error that `environment` makes, or nil if it is accepted.
    private func refusal(_ environment: [String: String]) -> String? {
        do {
            _ = try Configuration(environment: environment)
            return nil
        } catch GalleryError.invalid(let message) {
            return message
        } catch {
            Issue.record("not an .invalid error: \(error)")
            return "\(error)"
        }
    }

    @Test("every variable Configuration reads is tested here and listed in the README")
    func everySettingIsCovered() throws {
        let source = try String(contentsOf: Repository.url("Sources/GalleryCore/Configuration.swift"), encoding: .utf8)
        let readme = try String(contentsOf: Repository.url("README.md"), encoding: .utf8)
        let read = Set(source.matches(of: #/"(GALLERY_[A-Z0-9_]+)"/#).map { String($0.1) })
        let tested = Set(Self.numbers.map(\.name)).union(Self.others)
        #expect(read == tested, "untested: \(read.subtracting(tested).sorted()); gone: \(tested.subtracting(read).sorted())")
        for name in read.sorted() {
            #expect(readme.contains("`\(name)`"), "\(name) is not in the README")
        }
    }

    @Test(arguments: numbers)
    func numberDefault(_ setting: NumberSetting) throws {
        let configuration = try Configuration(environment: [:])
        #expect(setting.field(configuration) == setting.fromRaw(setting.defaultRaw))
        // An empty variable is an unset one.
        #expect(setting.field(try Configuration(environment: [setting.name: ""])) == setting.fromRaw(setting.defaultRaw))
    }

    @Test(arguments: numbers)
    func numberIsParsed(_ setting: NumberSetting) throws {
        var values = [setting.min, setting.min + 7, setting.defaultRaw * 2]
        if let max = setting.max { values = values.filter { $0 <= max } + [max] }
        for value in values {
            let configuration = try Configuration(environment: [setting.name: String(value)])
            #expect(setting.field(configuration) == setting.fromRaw(value), "\(setting.name)=\(value)")
        }
    }

    @Test(arguments: numbers)
    func badNumberIsRefusedByName(_ setting: NumberSetting) {
        var bad = ["x", "12abc", "1.5", " 5", "5 ", "0x10", "1e3", "99999999999999999999", String(setting.min - 1)]
        if let max = setting.max, max < Int.max { bad.append(String(max + 1)) }
        for raw in bad {
            let message = refusal([setting.name: raw])
            #expect(message?.contains(setting.name) == true, "\(setting.name)=\(raw.debugDescription): \(message ?? "accepted")")
            #expect(message?.contains(raw) == true, "the message shows the value given")
        }
    }

    @Test func backendAndPerStoreOverrides() throws {
        let embedded = try Configuration(environment: [:])
        #expect(embedded.backend == .embedded)
        #expect([embedded.metadataBackend, embedded.jobsBackend, embedded.blobsBackend, embedded.identityBackend]
                == Array(repeating: .embedded, count: 4))

        let aws = try Configuration(environment: ["GALLERY_BACKEND": "aws"])
        #expect(aws.backend == .aws)
        #expect([aws.metadataBackend, aws.jobsBackend, aws.blobsBackend, aws.identityBackend]
                == Array(repeating: .aws, count: 4), "each store follows the backend unless overridden")

        let mixed = try Configuration(environment: ["GALLERY_BACKEND": "embedded", "GALLERY_BLOBS_BACKEND": "aws",
                                                    "GALLERY_IDENTITY_BACKEND": ""])
        #expect(mixed.blobsBackend == .aws)
        #expect([mixed.metadataBackend, mixed.jobsBackend, mixed.identityBackend] == [.embedded, .embedded, .embedded])

        let overridden = try Configuration(environment: ["GALLERY_BACKEND": "aws", "GALLERY_METADATA_BACKEND": "embedded",
                                                         "GALLERY_JOBS_BACKEND": "embedded"])
        #expect([overridden.metadataBackend, overridden.jobsBackend, overridden.blobsBackend] == [.embedded, .embedded, .aws])
    }

    @Test(arguments: ["GALLERY_BACKEND", "GALLERY_METADATA_BACKEND", "GALLERY_JOBS_BACKEND", "GALLERY_BLOBS_BACKEND",
                      "GALLERY_IDENTITY_BACKEND"])
    func badBackendIsRefusedByName(_ name: String) {
        for raw in ["AWS", "sqlite", "s3", " aws"] {
            let message = refusal([name: raw])
            #expect(message?.contains(name) == true, "\(name)=\(raw.debugDescription): \(message ?? "accepted")")
            #expect(message?.contains("embedded or aws") == true)
        }
    }

    @Test func pathsDefaultUnderTheDataDirectory() throws {
        let defaults = try Configuration(environment: [:])
        #expect(defaults.dataDirectory == URL(fileURLWithPath: "var").standardizedFileURL)
        #expect(defaults.templatesDirectory == URL(fileURLWithPath: "templates"))
        #expect(defaults.listen == URL(fileURLWithPath: "var").appendingPathComponent("run/gallery.sock").path)
        #expect(defaults.secretKeyFile.path == URL(fileURLWithPath: "var/secret.key").path)

        let moved = try Configuration(environment: ["GALLERY_DATA_DIR": "/srv/gallery/./data/../data"])
        #expect(moved.dataDirectory.path == "/srv/gallery/data")
        #expect(moved.databaseFile.path == "/srv/gallery/data/gallery.sqlite3")
        #expect(moved.blobDirectory.path == "/srv/gallery/data/blobs")
        #expect(moved.outboxDirectory.path == "/srv/gallery/data/outbox")
        #expect(moved.temporaryDirectory.path == "/srv/gallery/data/tmp")
        #expect(moved.listen.hasSuffix("/data/run/gallery.sock"))
        #expect(moved.secretKeyFile.path.hasSuffix("/data/secret.key"))

        let given = try Configuration(environment: ["GALLERY_DATA_DIR": "/d", "GALLERY_TEMPLATES": "/t",
                                                    "GALLERY_LISTEN": "127.0.0.1:9000", "GALLERY_SECRET_KEY_FILE": "/k/key"])
        #expect(given.templatesDirectory.path == "/t")
        #expect(given.listen == "127.0.0.1:9000")
        #expect(given.secretKeyFile.path == "/k/key")
    }

    @Test func mailURLsAndSecrets() throws {
        let defaults = try Configuration(environment: [:])
        #expect(defaults.smtpURL == nil)
        #expect(defaults.mailFrom == "gallery@localhost")
        #expect(defaults.publicURL == "http://127.0.0.1:8080")
        #expect(defaults.secretKey == nil)
        #expect(defaults.logLevel == "info")
        #expect(defaults.workerMetricsFile == nil)
        #expect(try Configuration(environment: ["GALLERY_WORKER_METRICS_FILE": ""]).workerMetricsFile == nil)
        #expect(try Configuration(environment: ["GALLERY_WORKER_METRICS_FILE": "/var/lib/prom/gallery.prom"])
            .workerMetricsFile?.path == "/var/lib/prom/gallery.prom")

        let empty = try Configuration(environment: ["GALLERY_SMTP_URL": "", "GALLERY_SECRET_KEY": "", "GALLERY_MAIL_FROM": ""])
        #expect(empty.smtpURL == nil)
        #expect(empty.secretKey == nil)
        #expect(empty.mailFrom == "gallery@localhost")

        let given = try Configuration(environment: [
            "GALLERY_SMTP_URL": "smtps://user:pass@mail.example.com:465", "GALLERY_MAIL_FROM": "Photos <photos@example.com>",
            "GALLERY_PUBLIC_URL": "https://photos.example.com", "GALLERY_SECRET_KEY": "secretsmanager:gallery/key",
            "GALLERY_LOG_LEVEL": "debug",
        ])
        #expect(given.smtpURL == "smtps://user:pass@mail.example.com:465")
        #expect(given.mailFrom == "Photos <photos@example.com>")
        #expect(given.publicURL == "https://photos.example.com")
        #expect(given.secretKey == "secretsmanager:gallery/key")
        #expect(given.logLevel == "debug")
    }

    @Test func logLevels() throws {
        for level in ["trace", "debug", "info", "notice", "warning", "error", "critical"] {
            #expect(try Configuration(environment: ["GALLERY_LOG_LEVEL": level]).logLevel == level)
        }
        for raw in ["INFO", "warn", "verbose", "0"] {
            let message = refusal(["GALLERY_LOG_LEVEL": raw])
            #expect(message?.contains("GALLERY_LOG_LEVEL") == true, "\(raw): \(message ?? "accepted")")
        }
    }
}
