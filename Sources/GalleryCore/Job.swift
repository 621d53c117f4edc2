import Foundation

public enum JobKind: String, Sendable {
    /// Make the thumbnail, preview and placeholder of an image and read its EXIF.
    case thumbnails
    /// Delete everything of an account whose owner confirmed its removal.
    case deleteAccount = "delete-account"
}

/// What a job works on. Stores keep the kind and the subject's id side by side.
public enum JobSubject: Equatable, Hashable, Sendable {
    /// An image whose derivatives are to be made (`JobKind.thumbnails`).
    case image(String)
    /// A removed account whose photos, albums and profile are to be deleted
    /// (`JobKind.deleteAccount`).
    case account(userID: String)

    public init(kind: JobKind, id: String) {
        switch kind {
        case .thumbnails: self = .image(id)
        case .deleteAccount: self = .account(userID: id)
        }
    }

    public var kind: JobKind {
        switch self {
        case .image: return .thumbnails
        case .account: return .deleteAccount
        }
    }

    /// The image id or the user id.
    public var id: String {
        switch self {
        case .image(let id), .account(let id): return id
        }
    }

    /// The image, for a thumbnail job.
    public var imageID: String? {
        if case .image(let id) = self { return id }
        return nil
    }
}

public enum JobStatus: String, Sendable {
    case queued, running, done, dead
}

/// A row of the job table. The fields are the ones DynamoDB holds too.
public struct Job: Equatable, Sendable {
    public var id: String
    public var subject: JobSubject
    public var status: JobStatus
    public var leaseOwner: String?
    public var leaseUntil: Date?
    /// Claims, each one an attempt (reset by a requeue).
    public var attempts: Int
    /// Claims that took the job over from an expired lease: the attempt before ended without
    /// a result because its worker died or stalled, which says nothing about the job itself.
    public var interruptions: Int
    public var availableAt: Date
    public var lastError: String?
    public var createdAt: Date
    public var updatedAt: Date
    /// Bumped by every write; heartbeat and completion are conditioned on it (fencing).
    public var version: Int

    public var kind: JobKind { subject.kind }

    public init(id: String, subject: JobSubject, status: JobStatus, leaseOwner: String?,
                leaseUntil: Date?, attempts: Int, interruptions: Int = 0, availableAt: Date, lastError: String?,
                createdAt: Date, updatedAt: Date, version: Int) {
        self.id = id
        self.subject = subject
        self.status = status
        self.leaseOwner = leaseOwner
        self.leaseUntil = leaseUntil
        self.attempts = attempts
        self.interruptions = interruptions
        self.availableAt = availableAt
        self.lastError = lastError
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.version = version
    }
}

/// How many tries a job gets, in two budgets (like SQS's receive count beside a consumer's
/// own retries, or BullMQ's `maxStalledCount` beside `attempts`): failures of the job itself,
/// and interruptions by workers that died or stalled. Kills of workers never use up a good
/// photo's failures, and a bad photo ends with its own reason.
public struct AttemptBudget: Equatable, Sendable {
    public var maxFailures: Int
    public var maxInterruptions: Int

    public init(maxFailures: Int, maxInterruptions: Int) {
        self.maxFailures = max(1, maxFailures)
        self.maxInterruptions = max(1, maxInterruptions)
    }

    /// Earlier attempts that ended in a failure of the job's own (the current claim aside).
    public static func failures(before job: Job) -> Int { max(0, job.attempts - 1 - job.interruptions) }

    /// A failure of the current attempt is the last one allowed.
    public func isLastTry(_ job: Job) -> Bool { Self.failures(before: job) + 1 >= maxFailures }

    /// Workers were lost on this job more often than the budget allows.
    public func interruptedTooOften(_ job: Job) -> Bool { job.interruptions >= maxInterruptions }
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
