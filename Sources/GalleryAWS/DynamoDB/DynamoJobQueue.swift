import Foundation
import GalleryCore

/// The job table in DynamoDB. Claimable jobs (queued, or running with a lease) carry
/// `queue = QUEUE#<shard>` and `due` (available-at or lease end) in the sparse, sharded
/// `claimable` index, so polling spreads over `shards` partitions. A claim reads a few
/// candidates per shard, oldest due first, and takes one with a conditional UpdateItem on
/// the table: the index only proposes, the condition decides (two claimers, one winner).
/// Heartbeat, complete, fail and release are conditioned on owner and version (fencing).
public final class DynamoJobQueue: JobQueue {
    private let db: DynamoDB
    let tables: DynamoTables
    public let shards: Int
    /// Done jobs stay listable this long, then DynamoDB's TTL removes them.
    public let doneRetention: TimeInterval
    private let candidatesPerShard = 4

    public init(client: AWSClient, tables: DynamoTables, shards: Int = 4, doneRetention: TimeInterval = 7 * 24 * 3600) {
        self.db = DynamoDB(client: client)
        self.tables = tables
        self.shards = max(1, shards)
        self.doneRetention = doneRetention
    }

    /// Attribute names in expressions always go through `#name`: several are reserved words.
    private static func names(_ list: String...) -> [String: String] {
        Dictionary(uniqueKeysWithValues: list.map { ("#" + $0, $0) })
    }

    // MARK: JobQueue

    @discardableResult
    public func enqueue(_ subject: JobSubject, availableAt: Date) throws -> Job {
        let (job, item) = newJob(subject, availableAt: availableAt)
        do {
            try db.putItem(tables.jobs, item, condition: Expression(text: "attribute_not_exists(id)"))
        } catch {
            throw error.asGalleryError
        }
        return job
    }

    /// A queued job and its item (`DynamoImageIntake` puts it in the image's own transaction).
    func newJob(_ subject: JobSubject, availableAt: Date) -> (Job, item: DynamoItem) {
        let created = DynamoTime.date(milliseconds: DynamoTime.milliseconds(Date()))
        let job = Job(id: Identifiers.make(now: created), subject: subject, status: .queued, leaseOwner: nil,
                      leaseUntil: nil, attempts: 0, availableAt: DynamoTime.date(milliseconds: DynamoTime.milliseconds(availableAt)),
                      lastError: nil, createdAt: created, updatedAt: created, version: 1)
        var item = JobItem.encode(job)
        let shard = JobItem.shard(of: job.id, shards: shards)
        item["shard"] = .int(shard)
        item["queue"] = .s(JobItem.queue(shard))
        item["due"] = .milliseconds(job.availableAt)
        item["statusKey"] = .s(JobItem.statusKey(.queued, shard))
        return (job, item)
    }

    public func claim(owner: String, lease: TimeInterval, now: Date) throws -> Job? {
        let nowValue = AttributeValue.milliseconds(now)
        let nowMs = DynamoTime.milliseconds(now)
        // Lost races move on to the next candidate; a few rounds absorb a crowd of claimers.
        for _ in 0..<4 {
            var candidates: [DynamoItem] = []
            for shard in 0..<shards {
                let page = try call {
                    try db.query(tables.jobs, index: DynamoTables.claimable,
                                 key: Expression(text: "#queue = :q AND #due <= :now", names: Self.names("queue", "due"),
                                                 values: [":q": .s(JobItem.queue(shard)), ":now": nowValue]),
                                 limit: candidatesPerShard)
                }
                candidates += page.items
            }
            // The index may lag the table; a running job is a candidate only once its lease ran out.
            let claimable = candidates.filter { item in
                item["status"]?.string == JobStatus.queued.rawValue
                    || (item["leaseUntil"]?.int).map { Int64($0) < nowMs } == true
            }
            if claimable.isEmpty { return nil }
            let ordered = claimable.sorted {
                ($0["due"]?.int ?? 0, $0["id"]?.string ?? "") < ($1["due"]?.int ?? 0, $1["id"]?.string ?? "")
            }
            for candidate in ordered {
                guard let id = candidate["id"]?.string, let shard = candidate["shard"]?.int else { continue }
                let leaseUntil = AttributeValue.milliseconds(now.addingTimeInterval(lease))
                // Taking over an expired lease counts an interruption; the condition holds the
                // candidate to the state it was read in, so the count is exact.
                let takeover = candidate["status"]?.string == JobStatus.running.rawValue
                do {
                    let item = try db.updateItem(
                        tables.jobs, key: ["id": .s(id)],
                        update: Expression(
                            text: "SET #status = :running, leaseOwner = :owner, leaseUntil = :until, #due = :until, "
                                + "attempts = attempts + :one, #version = #version + :one, updatedAt = :now, statusKey = :sk"
                                + (takeover ? ", interruptions = if_not_exists(interruptions, :zero) + :one" : ""),
                            names: Self.names("status", "due", "version"),
                            values: [":running": .s(JobStatus.running.rawValue), ":owner": .s(owner), ":until": leaseUntil,
                                     ":one": .int(1), ":zero": .int(0), ":now": nowValue,
                                     ":sk": .s(JobItem.statusKey(.running, shard)), ":queued": .s(JobStatus.queued.rawValue)]
                                // DynamoDB refuses values the expressions do not use.
                                .filter { takeover ? $0.key != ":queued" : $0.key != ":zero" }),
                        condition: Expression(text: takeover ? "#status = :running AND leaseUntil < :now"
                                                             : "#status = :queued AND availableAt <= :now"),
                        returnValues: "ALL_NEW")
                    return try decode(item)
                } catch let error as AWSError where error.isConditionFailure {
                    continue  // another worker won this one
                } catch {
                    throw error.asGalleryError
                }
            }
        }
        return nil
    }

    public func heartbeat(_ job: Job, lease: TimeInterval, now: Date) throws -> Job {
        let until = AttributeValue.milliseconds(now.addingTimeInterval(lease))
        let item = try fenced(job, now: now, update: "SET leaseUntil = :until, #due = :until", names: Self.names("due"),
                              values: [":until": until], returnNew: true)
        return try decode(item)
    }

    public func complete(_ job: Job, now: Date) throws {
        let shard = JobItem.shard(of: job.id, shards: shards)
        try fenced(job, now: now,
                   update: "SET #status = :done, statusKey = :sk, #ttl = :ttl REMOVE leaseOwner, leaseUntil, #queue, #due",
                   names: Self.names("ttl", "queue", "due"),
                   values: [":done": .s(JobStatus.done.rawValue), ":sk": .s(JobItem.statusKey(.done, shard)),
                            ":ttl": .int(DynamoTime.epochSeconds(now.addingTimeInterval(doneRetention)))])
    }

    public func fail(_ job: Job, error message: String, retryAt: Date?, now: Date) throws {
        let shard = JobItem.shard(of: job.id, shards: shards)
        if let retryAt {
            try fenced(job, now: now,
                       update: "SET #status = :queued, availableAt = :at, #due = :at, lastError = :e, statusKey = :sk "
                           + "REMOVE leaseOwner, leaseUntil",
                       names: Self.names("due"),
                       values: [":queued": .s(JobStatus.queued.rawValue), ":at": .milliseconds(retryAt), ":e": .s(message),
                                ":sk": .s(JobItem.statusKey(.queued, shard))])
        } else {
            try fenced(job, now: now,
                       update: "SET #status = :dead, lastError = :e, statusKey = :sk REMOVE leaseOwner, leaseUntil, #queue, #due",
                       names: Self.names("queue", "due"),
                       values: [":dead": .s(JobStatus.dead.rawValue), ":e": .s(message),
                                ":sk": .s(JobItem.statusKey(.dead, shard))])
        }
    }

    public func release(_ job: Job, now: Date) throws {
        let shard = JobItem.shard(of: job.id, shards: shards)
        try fenced(job, now: now,
                   update: "SET #status = :queued, availableAt = :now, #due = :now, attempts = attempts - :one, statusKey = :sk "
                       + "REMOVE leaseOwner, leaseUntil",
                   names: Self.names("due"),
                   values: [":queued": .s(JobStatus.queued.rawValue), ":one": .int(1),
                            ":sk": .s(JobItem.statusKey(.queued, shard))])
    }

    public func job(id: String) throws -> Job? {
        try call { try db.getItem(tables.jobs, key: ["id": .s(id)]).map(decode) }
    }

    /// Newest first. Each shard's `byStatus` partition is read from the cursor's position
    /// backwards and the shards are merged; the cursor is the last item's sort key.
    public func jobs(status: JobStatus, cursor: String?, limit: Int) throws -> Page<Job> {
        let limit = try PageSize.checked(limit)
        let position = try PageCursor.decode(cursor)
        return try call {
            var items: [DynamoItem] = []
            for shard in 0..<shards {
                var key = Expression(text: "statusKey = :sk", values: [":sk": .s(JobItem.statusKey(status, shard))])
                if let position {
                    key.text += " AND createdKey < :position"
                    key.values[":position"] = .s(position)
                }
                items += try db.queryUpTo(limit + 1, tables.jobs, index: DynamoTables.jobsByStatus, key: key, forward: false)
            }
            let sorted = try items.sorted { try $0.string("createdKey") > $1.string("createdKey") }
            let jobs = try sorted.prefix(limit + 1).map(decode)
            return PageCursor.page(jobs, limit: limit) { DynamoTime.sortKey($0.createdAt, id: $0.id) }
        }
    }

    public func requeue(id: String, now: Date) throws {
        let shard = JobItem.shard(of: id, shards: shards)
        let nowValue = AttributeValue.milliseconds(now)
        do {
            try db.updateItem(
                tables.jobs, key: ["id": .s(id)],
                update: Expression(
                    text: "SET #status = :queued, attempts = :zero, interruptions = :zero, availableAt = :now, #due = :now, #queue = :q, "
                        + "statusKey = :sk, #version = #version + :one, updatedAt = :now REMOVE #ttl",
                    names: Self.names("status", "due", "queue", "version", "ttl"),
                    values: [":queued": .s(JobStatus.queued.rawValue), ":zero": .int(0), ":now": nowValue, ":one": .int(1),
                             ":q": .s(JobItem.queue(shard)), ":sk": .s(JobItem.statusKey(.queued, shard)),
                             ":dead": .s(JobStatus.dead.rawValue)]),
                condition: Expression(text: "#status = :dead"))
        } catch let error as AWSError where error.isConditionFailure {
            throw GalleryError.notFound
        } catch {
            throw error.asGalleryError
        }
    }

    /// Counts per status are Query COUNTs over the shards' `byStatus` partitions; the oldest
    /// waiting job is the first available one in the `claimable` index.
    public func depth(now: Date) throws -> QueueDepth {
        try call {
            func count(_ status: JobStatus) throws -> Int {
                try (0..<shards).reduce(0) { total, shard in
                    total + (try db.count(tables.jobs, index: DynamoTables.jobsByStatus,
                                          key: Expression(text: "statusKey = :sk", values: [":sk": .s(JobItem.statusKey(status, shard))])))
                }
            }
            var oldest: Date?
            for shard in 0..<shards {
                let first = try db.queryUpTo(1, tables.jobs, index: DynamoTables.claimable,
                                             key: Expression(text: "#queue = :q AND #due <= :now", names: Self.names("queue", "due", "status"),
                                                             values: [":q": .s(JobItem.queue(shard)), ":now": .milliseconds(now),
                                                                      ":queued": .s(JobStatus.queued.rawValue)]),
                                             filter: "#status = :queued")
                if let due = first.first?["due"]?.date, oldest.map({ due < $0 }) ?? true { oldest = due }
            }
            return QueueDepth(queued: try count(.queued), running: try count(.running), dead: try count(.dead),
                              oldestQueuedAt: oldest)
        }
    }

    // MARK: Helpers

    /// An update that only the job's current holder may make: owner and version must still
    /// match and the job must still run. Anything else is `.leaseLost`.
    @discardableResult
    private func fenced(_ job: Job, now: Date, update: String, names: [String: String], values: DynamoItem,
                        returnNew: Bool = false) throws -> DynamoItem {
        var allValues = values
        allValues[":owner"] = .s(job.leaseOwner ?? "")
        allValues[":v"] = .int(job.version)
        allValues[":running"] = .s(JobStatus.running.rawValue)
        allValues[":one"] = .int(1)
        allValues[":now"] = .milliseconds(now)
        var allNames = names
        allNames.merge(Self.names("status", "version")) { $1 }
        do {
            let item = try db.updateItem(
                tables.jobs, key: ["id": .s(job.id)],
                update: Expression(text: update.replacingOccurrences(of: "SET ", with: "SET #version = #version + :one, updatedAt = :now, ",
                                                                     options: .anchored),
                                   names: allNames, values: allValues),
                condition: Expression(text: "#status = :running AND leaseOwner = :owner AND #version = :v"),
                returnValues: returnNew ? "ALL_NEW" : "NONE")
            return item ?? [:]
        } catch let error as AWSError where error.isConditionFailure {
            throw GalleryError.leaseLost
        } catch {
            throw error.asGalleryError
        }
    }

    private func decode(_ item: DynamoItem?) throws -> Job {
        guard let item else { throw GalleryError.unavailable("dynamodb UpdateItem: no attributes returned") }
        do {
            return try JobItem.decode(item)
        } catch let error as DynamoDecodingError {
            throw GalleryError.unavailable("dynamodb: a job item is not in our format: \(error)")
        }
    }

    private func call<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DynamoDecodingError {
            throw GalleryError.unavailable("dynamodb: a job item is not in our format: \(error)")
        } catch {
            throw error.asGalleryError
        }
    }
}

/// `Job` ⇄ DynamoDB item, and the shard keys.
enum JobItem {
    static func queue(_ shard: Int) -> String { "QUEUE#\(shard)" }
    static func statusKey(_ status: JobStatus, _ shard: Int) -> String { "\(status.rawValue)#\(shard)" }

    /// FNV-1a of the id: stable across processes and releases (Swift's hashValue is not).
    static func shard(of id: String, shards: Int) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in id.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return Int(hash % UInt64(shards))
    }

    static func encode(_ job: Job) -> DynamoItem {
        var item: DynamoItem = [
            "id": .s(job.id), "imageID": .s(job.subject.id), "kind": .s(job.kind.rawValue), "status": .s(job.status.rawValue),
            "attempts": .int(job.attempts), "interruptions": .int(job.interruptions), "availableAt": .milliseconds(job.availableAt),
            "createdAt": .milliseconds(job.createdAt), "updatedAt": .milliseconds(job.updatedAt), "version": .int(job.version),
            "createdKey": .s(DynamoTime.sortKey(job.createdAt, id: job.id)),
        ]
        if let owner = job.leaseOwner { item["leaseOwner"] = .s(owner) }
        if let until = job.leaseUntil { item["leaseUntil"] = .milliseconds(until) }
        if let error = job.lastError { item["lastError"] = .s(error) }
        return item
    }

    static func decode(_ item: DynamoItem) throws -> Job {
        guard let kind = JobKind(rawValue: try item.string("kind")), let status = JobStatus(rawValue: try item.string("status")) else {
            throw DynamoDecodingError("unknown job kind or status")
        }
        // The attribute is named for the first kind of job; it holds the subject's id.
        return Job(id: try item.string("id"), subject: JobSubject(kind: kind, id: try item.string("imageID")), status: status,
                   leaseOwner: item["leaseOwner"]?.string, leaseUntil: item["leaseUntil"]?.date,
                   attempts: try item.int("attempts"), interruptions: item["interruptions"]?.int ?? 0,
                   availableAt: try item.date("availableAt"),
                   lastError: item["lastError"]?.string, createdAt: try item.date("createdAt"),
                   updatedAt: try item.date("updatedAt"), version: try item.int("version"))
    }
}
