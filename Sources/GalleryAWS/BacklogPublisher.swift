import Foundation
import GalleryCore
import Logging

/// Puts the job backlog to CloudWatch once a minute, where the worker group's target-tracking
/// policy reads it: `QueuedJobs`, `RunningJobs`, `DeadJobs` (Count) and `OldestQueuedJobAge`
/// (Seconds), in `namespace` with the dimension `StackName`.
///
/// Every worker instance runs one (`gallery metrics publish`, a service beside the workers), so
/// the metric survives any instance going; but per minute only one of them reads the queue and
/// publishes: the one that wins `MinuteElection`. Without it N instances would make N depth
/// reads (a Query COUNT per status and shard) and N PutMetricData calls a minute for the same
/// three numbers. Identical dimensions mean no extra custom metrics either way.
public final class BacklogPublisher: @unchecked Sendable {
    public static let metricNames = (queued: "QueuedJobs", running: "RunningJobs", dead: "DeadJobs", oldestAge: "OldestQueuedJobAge")

    private let jobs: JobQueue
    private let cloudWatch: CloudWatch
    public let namespace: String
    public let stack: String
    private let election: MinuteElection?
    private let logger: Logger

    public init(jobs: JobQueue, cloudWatch: CloudWatch, namespace: String, stack: String, election: MinuteElection?,
                logger: Logger) {
        self.jobs = jobs
        self.cloudWatch = cloudWatch
        self.namespace = namespace
        self.stack = stack
        self.election = election
        self.logger = logger
    }

    public enum Outcome: Equatable, Sendable {
        case published(QueueDepth)
        /// Another instance holds this minute.
        case skipped
    }

    /// One minute's publication; throws what failed (election, depth or PutMetricData).
    public func publishOnce(now: Date = Date()) throws -> Outcome {
        if let election, try !election.claim(minute: Self.minute(now)) { return .skipped }
        let depth = try jobs.depth(now: now)
        let dimensions = [(name: "StackName", value: stack)]
        let names = Self.metricNames
        try cloudWatch.putMetricData(namespace: namespace, [
            .init(name: names.queued, value: Double(depth.queued), unit: "Count", dimensions: dimensions, timestamp: now),
            .init(name: names.running, value: Double(depth.running), unit: "Count", dimensions: dimensions, timestamp: now),
            .init(name: names.dead, value: Double(depth.dead), unit: "Count", dimensions: dimensions, timestamp: now),
            .init(name: names.oldestAge, value: (depth.oldestQueuedAge(now: now) * 1000).rounded() / 1000, unit: "Seconds",
                  dimensions: dimensions, timestamp: now),
        ])
        return .published(depth)
    }

    /// Publishes every `interval` seconds (on the minute boundaries for 60) until `stop`
    /// returns true. A failure is logged and the next round tries again: an unreachable
    /// CloudWatch must never stop the instance's work, only its scaling signal.
    public func run(interval: TimeInterval = 60, stop: () -> Bool = { false }) {
        var failing = false
        while !stop() {
            do {
                switch try publishOnce() {
                case .published(let depth):
                    logger.debug("published backlog", metadata: ["queued": "\(depth.queued)", "running": "\(depth.running)"])
                case .skipped:
                    logger.debug("another instance publishes this minute")
                }
                if failing { logger.info("backlog publishing works again") }
                failing = false
            } catch {
                logger.error("cannot publish the backlog to CloudWatch; trying again next round",
                             metadata: ["error": "\(error)"])
                failing = true
            }
            let now = Date().timeIntervalSince1970
            // Sleep to the next multiple of the interval (a few seconds past, so the minute is new).
            Thread.sleep(forTimeInterval: interval - now.truncatingRemainder(dividingBy: interval) + 0.5)
        }
    }

    static func minute(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970 / 60) }
}

/// Decides which of many publishers takes a given minute: a conditional write of
/// `METRICS#<stack>#<minute>` into the jobs table (an item in no index, deleted by the table's
/// TTL an hour later). The first writer wins; the others' condition fails.
public final class MinuteElection: Sendable {
    private let db: DynamoDB
    private let table: String
    private let stack: String
    private let me: String

    public init(client: AWSClient, tables: DynamoTables, stack: String, me: String) {
        db = DynamoDB(client: client)
        table = tables.jobs
        self.stack = stack
        self.me = me
    }

    /// The key prefix the worker role's IAM condition allows (`dynamodb:LeadingKeys`).
    public static let keyPrefix = "METRICS#"

    public func claim(minute: Int64) throws -> Bool {
        do {
            _ = try db.updateItem(table, key: ["id": .s("\(Self.keyPrefix)\(stack)#\(minute)")],
                                  update: Expression(text: "SET publisher = :me, #ttl = :ttl", names: ["#ttl": DynamoTables.ttlAttribute],
                                                     values: [":me": .s(me), ":ttl": .int(minute * 60 + 3600)]),
                                  condition: Expression(text: "attribute_not_exists(id)"))
            return true
        } catch let error as AWSError where error.isConditionFailure {
            return false
        }
    }
}
