import Foundation
import GalleryCore

/// The job table in the SQLite file, shared by every worker process on the machine.
///
/// A claim is one UPDATE whose WHERE picks the job: SQLite runs it under the database's
/// write lock, so two claimers (threads or processes) can never take the same job. Every
/// later write by the claimer is fenced by id, owner, version and status: a worker whose
/// lease expired and was taken over gets `.leaseLost` instead of overwriting the new owner.
public final class SQLiteJobQueue: JobQueue {
    public let database: SQLiteDatabase

    public init(database: SQLiteDatabase) {
        self.database = database
    }

    @discardableResult
    public func enqueue(_ subject: JobSubject, availableAt: Date) throws -> Job {
        try database.read { try Self.insert(subject, availableAt: availableAt, $0) }
    }

    /// A queued job, inside the caller's transaction if there is one.
    static func insert(_ subject: JobSubject, availableAt: Date, _ db: SQLiteConnection) throws -> Job {
        let now = Date()
        let job = try db.queryFirst("""
            INSERT INTO jobs (id, image_id, kind, status, attempts, available_at, created_at, updated_at, version)
            VALUES (?, ?, ?, 'queued', 0, ?, ?, ?, 1) RETURNING \(Self.columns)
            """, [Identifiers.make(now: now), subject.id, subject.kind.rawValue, availableAt, now, now], Self.job)
        guard let job else { throw GalleryError.unavailable("sqlite: enqueue returned no row") }
        return job
    }

    /// The job that became claimable first: a queued job by `available_at`, or a running
    /// one by the expiry of its lease. Each branch reads one index entry (LIMIT 1), so a
    /// claim costs the same with ten jobs waiting or a million.
    public func claim(owner: String, lease: TimeInterval, now: Date) throws -> Job? {
        try database.read {
            try $0.queryFirst("""
                UPDATE jobs SET status = 'running', lease_owner = ?2, lease_until = ?3,
                    attempts = attempts + 1, interruptions = interruptions + (status = 'running'),
                    version = version + 1, updated_at = ?1
                WHERE id = (
                    SELECT id FROM (
                        SELECT * FROM (SELECT id, available_at AS due FROM jobs
                                       WHERE status = 'queued' AND available_at <= ?1
                                       ORDER BY available_at LIMIT 1)
                        UNION ALL
                        SELECT * FROM (SELECT id, lease_until AS due FROM jobs
                                       WHERE status = 'running' AND lease_until < ?1
                                       ORDER BY lease_until LIMIT 1)
                    ) ORDER BY due LIMIT 1)
                  AND ((status = 'queued' AND available_at <= ?1) OR (status = 'running' AND lease_until < ?1))
                RETURNING \(Self.columns)
                """, [now, owner, now.addingTimeInterval(lease)], Self.job)
        }
    }

    public func heartbeat(_ job: Job, lease: TimeInterval, now: Date) throws -> Job {
        let updated = try database.read {
            try $0.queryFirst("""
                UPDATE jobs SET lease_until = ?, version = version + 1, updated_at = ?
                WHERE \(Self.fence) RETURNING \(Self.columns)
                """, [now.addingTimeInterval(lease), now] + Self.fenceArguments(job), Self.job)
        }
        guard let updated else { throw GalleryError.leaseLost }
        return updated
    }

    public func complete(_ job: Job, now: Date) throws {
        try fencedUpdate(job, set: "status = 'done', lease_owner = NULL, lease_until = NULL", [], now: now)
    }

    public func fail(_ job: Job, error: String, retryAt: Date?, now: Date) throws {
        if let retryAt {
            try fencedUpdate(job, set: "status = 'queued', available_at = ?, last_error = ?, lease_owner = NULL, lease_until = NULL",
                             [retryAt, error], now: now)
        } else {
            try fencedUpdate(job, set: "status = 'dead', last_error = ?, lease_owner = NULL, lease_until = NULL",
                             [error], now: now)
        }
    }

    public func release(_ job: Job, now: Date) throws {
        try fencedUpdate(job, set: """
            status = 'queued', available_at = ?, attempts = MAX(attempts - 1, 0), lease_owner = NULL, lease_until = NULL
            """, [now], now: now)
    }

    public func job(id: String) throws -> Job? {
        try database.read { try $0.queryFirst("SELECT \(Self.columns) FROM jobs WHERE id = ?", [id], Self.job) }
    }

    /// Newest first.
    public func jobs(status: JobStatus, cursor: String?, limit: Int) throws -> Page<Job> {
        let after = try KeysetCursor.decode(cursor)
        let limit = try PageSize.checked(limit)
        let rows = try database.read {
            try $0.query("""
                SELECT \(Self.columns) FROM jobs WHERE status = ? AND (created_at, id) < (?, ?)
                ORDER BY created_at DESC, id DESC LIMIT ?
                """, [status.rawValue, after.createdAt, after.id, limit + 1], Self.job)
        }
        return KeysetCursor.page(rows, limit: limit) { KeysetCursor(createdAt: $0.createdAt.milliseconds, id: $0.id) }
    }

    public func requeue(id: String, now: Date) throws {
        let changed = try database.read {
            try $0.run("""
                UPDATE jobs SET status = 'queued', attempts = 0, interruptions = 0, available_at = ?1, updated_at = ?1,
                    version = version + 1
                WHERE id = ?2 AND status = 'dead'
                """, [now, id])
        }
        guard changed == 1 else { throw GalleryError.notFound }
    }

    /// `oldestQueuedAt` is the earliest `availableAt` of the queued jobs that are available at
    /// `now` (the age of the oldest waiting work); retries scheduled for later do not count.
    public func depth(now: Date) throws -> QueueDepth {
        let depth = try database.read {
            try $0.queryFirst("""
                SELECT (SELECT COUNT(*) FROM jobs WHERE status = 'queued'),
                       (SELECT COUNT(*) FROM jobs WHERE status = 'running'),
                       (SELECT COUNT(*) FROM jobs WHERE status = 'dead'),
                       (SELECT MIN(available_at) FROM jobs WHERE status = 'queued' AND available_at <= ?)
                """, [now]) { row in
                QueueDepth(queued: row.int(0), running: row.int(1), dead: row.int(2), oldestQueuedAt: row.optionalDate(3))
            }
        }
        guard let depth else { throw GalleryError.unavailable("sqlite: depth returned no row") }
        return depth
    }

    // MARK: Rows

    private static let fence = "id = ? AND lease_owner = ? AND version = ? AND status = 'running'"

    private static func fenceArguments(_ job: Job) -> [SQLiteBindable?] {
        [job.id, job.leaseOwner, job.version]
    }

    private func fencedUpdate(_ job: Job, set: String, _ arguments: [SQLiteBindable?], now: Date) throws {
        let changed = try database.read {
            try $0.run("UPDATE jobs SET \(set), version = version + 1, updated_at = ? WHERE \(Self.fence)",
                       arguments + [now] + Self.fenceArguments(job))
        }
        guard changed == 1 else { throw GalleryError.leaseLost }
    }

    private static let columns = """
        id, image_id, kind, status, lease_owner, lease_until, attempts, available_at, last_error, \
        created_at, updated_at, version, interruptions
        """

    private static func job(_ row: SQLiteRow) throws -> Job {
        guard let kind = JobKind(rawValue: row.string(2)), let status = JobStatus(rawValue: row.string(3)) else {
            throw GalleryError.unavailable("sqlite: job \(row.string(0)) has an unknown kind or status")
        }
        // The column is named for the first kind of job; it holds the subject's id.
        return Job(id: row.string(0), subject: JobSubject(kind: kind, id: row.string(1)), status: status,
                   leaseOwner: row.optionalString(4), leaseUntil: row.optionalDate(5),
                   attempts: row.int(6), interruptions: row.int(12), availableAt: row.date(7), lastError: row.optionalString(8),
                   createdAt: row.date(9), updatedAt: row.date(10), version: row.int(11))
    }
}
