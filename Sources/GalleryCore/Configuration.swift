import Foundation

/// Every setting, read once at start-up from the environment (`GALLERY_*`), with defaults
/// that run the embedded backend under `./var`. The README lists them all.
public struct Configuration: Sendable {
    public enum Backend: String, Sendable { case embedded, aws }

    /// `GALLERY_BACKEND`: embedded (SQLite + files + local accounts) or aws.
    public var backend: Backend
    /// `GALLERY_DATA_DIR`: database, blobs, outbox, temp files, nginx state.
    public var dataDirectory: URL
    /// `GALLERY_TEMPLATES`: the Mustache templates.
    public var templatesDirectory: URL
    /// `GALLERY_LISTEN`: a Unix socket path, or `:PORT` / `HOST:PORT` for TCP.
    public var listen: String
    /// `GALLERY_THREADS`: responder threads, each with its own database connection.
    public var threads: Int
    /// `GALLERY_MAX_UPLOAD_BYTES`: largest single image; nginx's client_max_body_size matches it.
    public var maxUploadBytes: Int
    /// `GALLERY_MAX_REQUEST_BYTES`: a whole upload request (several images); nginx's
    /// client_max_body_size is set to it.
    public var maxRequestBytes: Int
    /// `GALLERY_MAX_FILES`: images per upload request.
    public var maxFilesPerUpload: Int
    /// `GALLERY_MAX_PIXELS`: width × height refused at upload (decompression bombs).
    public var maxPixels: Int
    /// `GALLERY_THUMB_SIZE` / `GALLERY_PREVIEW_SIZE`: longest edge of the derivatives.
    public var thumbnailSize: Int
    public var previewSize: Int
    /// `GALLERY_WEBP_QUALITY`.
    public var webpQuality: Int
    /// `GALLERY_QUOTA_BYTES` / `GALLERY_QUOTA_IMAGES`: what one user may store in all.
    public var quotaBytes: Int
    public var quotaImages: Int
    /// `GALLERY_PAGE_SIZE`: images per gallery and feed page.
    public var pageSize: Int
    /// `GALLERY_SESSION_IDLE_SECONDS` / `GALLERY_SESSION_MAX_SECONDS`.
    public var sessionIdle: TimeInterval
    public var sessionMax: TimeInterval
    /// `GALLERY_WORKER_JOBS`: jobs one worker process runs at once.
    public var workerJobs: Int
    /// `GALLERY_LEASE_SECONDS`: how long a claim lasts before another worker may take it.
    public var leaseSeconds: TimeInterval
    /// `GALLERY_MAX_ATTEMPTS`: failed attempts before a job is dead and its image failed.
    public var maxAttempts: Int
    /// `GALLERY_MAX_INTERRUPTIONS` (5): takeovers of a job from dead or stalled workers before
    /// it is given up (a budget of its own: a worker's death is not the photo's failure).
    public var maxInterruptions: Int
    /// `GALLERY_RETRY_BASE_MS` (2000) / `GALLERY_RETRY_MAX_MS` (300000): a failed attempt is
    /// retried after a random delay in [0, min(max, base · 2^(attempt−1))] (full jitter).
    public var retryBase: TimeInterval
    public var retryCap: TimeInterval
    /// `GALLERY_POLL_MIN_MS` (50) / `GALLERY_POLL_MAX_MS` (1000): an idle worker polls the job
    /// table from every min up to every max, doubling per empty poll (embedded: a change of
    /// the database file wakes it at once).
    public var pollMinimum: TimeInterval
    public var pollMaximum: TimeInterval
    /// `GALLERY_SHUTDOWN_SECONDS` (30): on SIGTERM a worker finishes held jobs for this long,
    /// then releases the rest so another worker takes them at once.
    public var shutdownDeadline: TimeInterval
    /// `GALLERY_REPAIR_SECONDS` (3600; 0: never): how often a worker runs the reconciler
    /// (`gallery repair`), and once within the first minute after it starts.
    public var repairInterval: TimeInterval
    /// `GALLERY_DECODE_TIMEOUT_SECONDS` (60): wall-clock limit of the decoding child process.
    public var decodeTimeout: TimeInterval
    /// `GALLERY_DECODE_MEMORY_MB` (1024): address-space limit of the decoding child.
    public var decodeMemoryBytes: Int
    /// `GALLERY_DECODE_CPU_SECONDS` (30): CPU-time limit of the decoding child.
    public var decodeCPUSeconds: Int
    /// `GALLERY_SMTP_URL` (e.g. smtps://user:pass@host:465): send mail with libcurl instead
    /// of writing it to the outbox folder.
    public var smtpURL: String?
    /// `GALLERY_MAIL_FROM`.
    public var mailFrom: String
    /// `GALLERY_PUBLIC_URL`: the site's address, used in mails.
    public var publicURL: String
    /// `GALLERY_SECRET_KEY_FILE`: 32+ random bytes keying CSRF tokens; made on first start.
    public var secretKeyFile: URL
    /// `GALLERY_SECRET_KEY`: the same key given directly (base64, ≥ 32 bytes), e.g. as a
    /// `secretsmanager:` reference so that every responder of a fleet shares it. Wins over
    /// the file.
    public var secretKey: String?
    /// Per-store overrides of `backend`: `GALLERY_METADATA_BACKEND`, `GALLERY_JOBS_BACKEND`,
    /// `GALLERY_BLOBS_BACKEND`, `GALLERY_IDENTITY_BACKEND` (embedded or aws).
    public var metadataBackend: Backend
    public var jobsBackend: Backend
    public var blobsBackend: Backend
    public var identityBackend: Backend
    /// `GALLERY_LOG_LEVEL`: debug, info, warning, error.
    public var logLevel: String
    /// `GALLERY_WORKER_METRICS_FILE`: where a worker writes its metrics as Prometheus text
    /// (for node_exporter's textfile collector); none when unset.
    public var workerMetricsFile: URL?
    /// `GALLERY_WORKER_METRICS_SECONDS` (15): how often that file is rewritten.
    public var workerMetricsInterval: TimeInterval

    public var databaseFile: URL { dataDirectory.appendingPathComponent("gallery.sqlite3") }
    public var blobDirectory: URL { dataDirectory.appendingPathComponent("blobs") }
    public var outboxDirectory: URL { dataDirectory.appendingPathComponent("outbox") }
    public var temporaryDirectory: URL { dataDirectory.appendingPathComponent("tmp") }

    public init(environment env: [String: String] = ProcessInfo.processInfo.environment) throws {
        func string(_ name: String, _ fallback: String) -> String {
            if let v = env[name], !v.isEmpty { return v }
            return fallback
        }
        func int(_ name: String, _ fallback: Int, min: Int = 1) throws -> Int {
            guard let raw = env[name], !raw.isEmpty else { return fallback }
            guard let v = Int(raw), v >= min else {
                throw GalleryError.invalid("\(name) must be a whole number ≥ \(min), got \(raw)")
            }
            return v
        }
        guard let backend = Backend(rawValue: string("GALLERY_BACKEND", "embedded")) else {
            throw GalleryError.invalid("GALLERY_BACKEND must be embedded or aws")
        }
        self.backend = backend
        func store(_ name: String) throws -> Backend {
            guard let raw = env[name], !raw.isEmpty else { return backend }
            guard let value = Backend(rawValue: raw) else { throw GalleryError.invalid("\(name) must be embedded or aws") }
            return value
        }
        metadataBackend = try store("GALLERY_METADATA_BACKEND")
        jobsBackend = try store("GALLERY_JOBS_BACKEND")
        blobsBackend = try store("GALLERY_BLOBS_BACKEND")
        identityBackend = try store("GALLERY_IDENTITY_BACKEND")
        let data = URL(fileURLWithPath: string("GALLERY_DATA_DIR", "var"))
        dataDirectory = data.standardizedFileURL
        templatesDirectory = URL(fileURLWithPath: string("GALLERY_TEMPLATES", "templates"))
        listen = string("GALLERY_LISTEN", data.appendingPathComponent("run/gallery.sock").path)
        threads = try int("GALLERY_THREADS", 4)
        maxUploadBytes = try int("GALLERY_MAX_UPLOAD_BYTES", 32 * 1024 * 1024)
        maxRequestBytes = try int("GALLERY_MAX_REQUEST_BYTES", 128 * 1024 * 1024)
        maxFilesPerUpload = try int("GALLERY_MAX_FILES", 20)
        maxPixels = try int("GALLERY_MAX_PIXELS", 50_000_000)
        thumbnailSize = try int("GALLERY_THUMB_SIZE", 320, min: 16)
        previewSize = try int("GALLERY_PREVIEW_SIZE", 1280, min: 16)
        webpQuality = try int("GALLERY_WEBP_QUALITY", 80)
        pageSize = try int("GALLERY_PAGE_SIZE", 24)
        quotaBytes = try int("GALLERY_QUOTA_BYTES", 5 * 1024 * 1024 * 1024)
        quotaImages = try int("GALLERY_QUOTA_IMAGES", 10_000)
        sessionIdle = TimeInterval(try int("GALLERY_SESSION_IDLE_SECONDS", 7 * 24 * 3600))
        sessionMax = TimeInterval(try int("GALLERY_SESSION_MAX_SECONDS", 30 * 24 * 3600))
        workerJobs = try int("GALLERY_WORKER_JOBS", 1)
        leaseSeconds = TimeInterval(try int("GALLERY_LEASE_SECONDS", 60))
        maxAttempts = try int("GALLERY_MAX_ATTEMPTS", 3)
        maxInterruptions = try int("GALLERY_MAX_INTERRUPTIONS", 5, min: 1)
        retryBase = TimeInterval(try int("GALLERY_RETRY_BASE_MS", 2000, min: 0)) / 1000
        retryCap = TimeInterval(try int("GALLERY_RETRY_MAX_MS", 300_000, min: 0)) / 1000
        pollMinimum = TimeInterval(try int("GALLERY_POLL_MIN_MS", 50)) / 1000
        pollMaximum = TimeInterval(try int("GALLERY_POLL_MAX_MS", 1000)) / 1000
        shutdownDeadline = TimeInterval(try int("GALLERY_SHUTDOWN_SECONDS", 30, min: 0))
        repairInterval = TimeInterval(try int("GALLERY_REPAIR_SECONDS", 3600, min: 0))
        decodeTimeout = TimeInterval(try int("GALLERY_DECODE_TIMEOUT_SECONDS", 60))
        decodeMemoryBytes = try int("GALLERY_DECODE_MEMORY_MB", 1024, min: 64) << 20
        decodeCPUSeconds = try int("GALLERY_DECODE_CPU_SECONDS", 30)
        smtpURL = env["GALLERY_SMTP_URL"].flatMap { $0.isEmpty ? nil : $0 }
        mailFrom = string("GALLERY_MAIL_FROM", "gallery@localhost")
        publicURL = string("GALLERY_PUBLIC_URL", "http://127.0.0.1:8080")
        secretKeyFile = URL(fileURLWithPath: string("GALLERY_SECRET_KEY_FILE",
                                                    data.appendingPathComponent("secret.key").path))
        secretKey = env["GALLERY_SECRET_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        logLevel = string("GALLERY_LOG_LEVEL", "info")
        workerMetricsFile = env["GALLERY_WORKER_METRICS_FILE"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
        workerMetricsInterval = TimeInterval(try int("GALLERY_WORKER_METRICS_SECONDS", 15))
    }
}
