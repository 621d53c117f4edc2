import Foundation

public enum JobKind: String, Sendable {
    /// Make the thumbnail, preview and placeholder of an image and read its EXIF.
    case thumbnails
    /// Delete everything of an account whose owner confirmed its removal. The job's `imageID`
    /// field holds the user id.
    case deleteAccount = "delete-account"
}

public enum JobStatus: String, Sendable {
    case queued, running, done, dead
}

/// A row of the job table. The fields are the ones DynamoDB holds too.
public struct Job: Equatable, Sendable {
    public var id: String
    public var imageID: String
    public var kind: JobKind
    public var status: JobStatus
    public var leaseOwner: String?
    public var leaseUntil: Date?
    public var attempts: Int
    public var availableAt: Date
    public var lastError: String?
    public var createdAt: Date
    public var updatedAt: Date
    /// Bumped by every write; heartbeat and completion are conditioned on it (fencing).
    public var version: Int

    public init(id: String, imageID: String, kind: JobKind, status: JobStatus, leaseOwner: String?,
                leaseUntil: Date?, attempts: Int, availableAt: Date, lastError: String?,
                createdAt: Date, updatedAt: Date, version: Int) {
        self.id = id
        self.imageID = imageID
        self.kind = kind
        self.status = status
        self.leaseOwner = leaseOwner
        self.leaseUntil = leaseUntil
        self.attempts = attempts
        self.availableAt = availableAt
        self.lastError = lastError
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.version = version
    }
}

/// Counts for operators and autoscaling.
public struct QueueDepth: Equatable, Sendable {
    public var queued: Int
    public var running: Int
    public var dead: Int
    public var oldestQueuedAt: Date?
    public init(queued: Int, running: Int, dead: Int, oldestQueuedAt: Date?) {
        self.queued = queued
        self.running = running
        self.dead = dead
        self.oldestQueuedAt = oldestQueuedAt
    }
}

extension QueueDepth {
    /// Seconds the oldest available job has waited (0 when none), for scaling on backlog.
    public func oldestQueuedAge(now: Date) -> TimeInterval {
        oldestQueuedAt.map { max(0, now.timeIntervalSince($0)) } ?? 0
    }
}
