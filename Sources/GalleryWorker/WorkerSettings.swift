import Foundation
import GalleryCore

/// How the decoding child is started and confined.
public struct IsolationSettings: Equatable, Sendable {
    /// The `gallery-worker` binary, run with the hidden `thumbnail` subcommand. The worker
    /// passes `/proc/self/exe` so the child is always the very binary of its parent, even
    /// after an upgrade replaced the file on disk.
    public var executable: URL
    /// Wall-clock limit; the parent kills a child that runs longer.
    public var timeout: TimeInterval
    /// RLIMIT_AS of the child.
    public var addressSpaceBytes: Int
    /// RLIMIT_CPU of the child (SIGXCPU, then SIGKILL a second later).
    public var cpuSeconds: Int
    /// RLIMIT_FSIZE of the child: no file it writes may grow past this.
    public var fileSizeBytes: Int

    public init(executable: URL, timeout: TimeInterval = 60, addressSpaceBytes: Int = 1 << 30,
                cpuSeconds: Int = 30, fileSizeBytes: Int = 64 << 20) {
        self.executable = executable
        self.timeout = timeout
        self.addressSpaceBytes = addressSpaceBytes
        self.cpuSeconds = cpuSeconds
        self.fileSizeBytes = fileSizeBytes
    }
}

/// What a thumbnail job makes.
public struct ThumbnailSettings: Equatable, Sendable {
    public var thumbnailSize: Int
    public var previewSize: Int
    public var quality: Int
    /// Width × height refused before any decoder sees the file.
    public var maxPixels: Int

    public init(thumbnailSize: Int = 320, previewSize: Int = 1280, quality: Int = 80,
                maxPixels: Int = 50_000_000) {
        self.thumbnailSize = thumbnailSize
        self.previewSize = previewSize
        self.quality = quality
        self.maxPixels = maxPixels
    }
}

/// Everything a worker pool needs besides the seams.
public struct WorkerSettings: Sendable {
    /// Jobs this process runs at once, one thread each.
    public var slots: Int
    /// How long a claim lasts without a heartbeat.
    public var lease: TimeInterval
    /// How often a held lease is extended; a third of the lease leaves two chances to spare.
    public var heartbeatInterval: TimeInterval
    /// Attempts before a job is dead and its image failed.
    public var maxAttempts: Int
    /// Takeovers from lost workers before a job is given up (`AttemptBudget`).
    public var maxInterruptions: Int
    /// Retry delay: full jitter over base · 2^(attempt−1), capped.
    public var retryBase: TimeInterval
    public var retryCap: TimeInterval
    /// Idle polling: from `pollMinimum`, doubling per empty poll, up to `pollMaximum`.
    public var pollMinimum: TimeInterval
    public var pollMaximum: TimeInterval
    /// Backoff after a storage error, doubling from pollMinimum up to this.
    public var storageBackoffMaximum: TimeInterval
    /// On shutdown, how long held jobs may run on before their leases are released.
    public var shutdownDeadline: TimeInterval
    /// How often the pool runs the reconciler (0: never); the first run comes within a minute.
    public var repairInterval: TimeInterval
    /// Downloads and child outputs live here, one folder per job, removed after it.
    public var workDirectory: URL
    /// Files whose change (mtime, size) wakes idle slots at once, e.g. the SQLite database
    /// and its WAL: an upload is then claimed within a few milliseconds instead of at the next
    /// poll. Empty for backends with nothing local to watch.
    public var wakeFiles: [URL]
    public var thumbnails: ThumbnailSettings
    public var isolation: IsolationSettings

    public init(slots: Int = 1, lease: TimeInterval = 60, heartbeatInterval: TimeInterval? = nil,
                maxAttempts: Int = 3, maxInterruptions: Int = 5, retryBase: TimeInterval = 2, retryCap: TimeInterval = 300,
                pollMinimum: TimeInterval = 0.05, pollMaximum: TimeInterval = 1,
                storageBackoffMaximum: TimeInterval = 5, shutdownDeadline: TimeInterval = 30,
                repairInterval: TimeInterval = 0, workDirectory: URL, wakeFiles: [URL] = [],
                thumbnails: ThumbnailSettings = ThumbnailSettings(), isolation: IsolationSettings) {
        self.slots = max(1, slots)
        self.lease = lease
        self.heartbeatInterval = heartbeatInterval ?? lease / 3
        self.maxAttempts = max(1, maxAttempts)
        self.maxInterruptions = max(1, maxInterruptions)
        self.retryBase = retryBase
        self.retryCap = retryCap
        self.pollMinimum = pollMinimum
        self.pollMaximum = pollMaximum
        self.storageBackoffMaximum = storageBackoffMaximum
        self.shutdownDeadline = shutdownDeadline
        self.repairInterval = repairInterval
        self.workDirectory = workDirectory
        self.wakeFiles = wakeFiles
        self.thumbnails = thumbnails
        self.isolation = isolation
    }

    /// The settings of a `gallery-worker` process, from the environment's configuration.
    public init(configuration c: Configuration, childExecutable: URL) {
        let wake = c.jobsBackend == .embedded
            ? [c.databaseFile, URL(fileURLWithPath: c.databaseFile.path + "-wal")] : []
        self.init(slots: c.workerJobs, lease: c.leaseSeconds, maxAttempts: c.maxAttempts, maxInterruptions: c.maxInterruptions,
                  retryBase: c.retryBase, retryCap: c.retryCap,
                  pollMinimum: c.pollMinimum, pollMaximum: c.pollMaximum,
                  shutdownDeadline: c.shutdownDeadline, repairInterval: c.repairInterval,
                  workDirectory: c.temporaryDirectory.appendingPathComponent("worker"),
                  wakeFiles: wake,
                  thumbnails: ThumbnailSettings(thumbnailSize: c.thumbnailSize,
                                                previewSize: c.previewSize,
                                                quality: c.webpQuality, maxPixels: c.maxPixels),
                  isolation: IsolationSettings(executable: childExecutable,
                                               timeout: c.decodeTimeout,
                                               addressSpaceBytes: c.decodeMemoryBytes,
                                               cpuSeconds: c.decodeCPUSeconds,
                                               // The copy without a position is as large as the original.
                                               fileSizeBytes: max(64 << 20, c.maxUploadBytes + (1 << 20))))
    }
}
