import Foundation
@testable import GalleryAWS
import GalleryConformance
import GalleryCore
import GalleryMoto
import GalleryTestSupport
import Logging
import XCTest

/// The backlog to CloudWatch (moto's, serialized): what GetMetricData returns is the queue's
/// state, one publisher per minute whatever the number of instances, and an unreachable
/// CloudWatch is logged and retried without stopping the loop.
final class BacklogPublisherTests: MotoTestCase {
    override class var serializedMoto: Bool { true }

    private var client: AWSClient!
    private var queue: DynamoJobQueue!
    private let tables = DynamoTables(prefix: "metrics-")

    override func setUpWithError() throws {
        let moto = try self.moto
        try moto.reset()
        client = try moto.client()
        _ = try AWSSetup(client: client, tables: tables, bucket: nil).run()
        queue = DynamoJobQueue(client: client, tables: tables, shards: 4)
    }

    private func publisher(client: AWSClient? = nil, stack: String = "gtest", me: String = "a",
                           logger: Logger = Logger(label: "test")) -> BacklogPublisher {
        BacklogPublisher(jobs: queue, cloudWatch: CloudWatch(client: client ?? self.client), namespace: "Gallery",
                         stack: stack, election: MinuteElection(client: self.client, tables: tables, stack: stack, me: me),
                         logger: logger)
    }

    /// The Maximum of one metric over the minute around `at`, as the scaling policy reads it.
    private func metric(_ name: String, stack: String = "gtest", at: Date) throws -> [Double] {
        let stamps = ISO8601DateFormatter()
        let answer = try client.query(.cloudWatch, "GetMetricData", version: CloudWatch.version, [
            ("MetricDataQueries.member.1.Id", "m"),
            ("MetricDataQueries.member.1.MetricStat.Metric.Namespace", "Gallery"),
            ("MetricDataQueries.member.1.MetricStat.Metric.MetricName", name),
            ("MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.1.Name", "StackName"),
            ("MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.1.Value", stack),
            ("MetricDataQueries.member.1.MetricStat.Period", "60"),
            ("MetricDataQueries.member.1.MetricStat.Stat", "Maximum"),
            ("StartTime", stamps.string(from: at.addingTimeInterval(-120))),
            ("EndTime", stamps.string(from: at.addingTimeInterval(120))),
        ])
        let values = answer.find("Values")?.all("member").compactMap { Double($0.text) } ?? []
        return values
    }

    func testGetMetricDataReturnsTheQueuesState() throws {
        let start = wholeMilliseconds().addingTimeInterval(-30)
        for i in 0..<5 {
            _ = try queue.enqueue(.image("img\(i)"), availableAt: start.addingTimeInterval(Double(i)))
        }
        let now = wholeMilliseconds()
        let running = try XCTUnwrap(queue.claim(owner: "w1", lease: 60, now: now))
        let doomed = try XCTUnwrap(queue.claim(owner: "w2", lease: 60, now: now))
        try queue.fail(doomed, error: "broken", retryAt: nil, now: now)
        let expected = try queue.depth(now: now)
        XCTAssertEqual([expected.queued, expected.running, expected.dead], [3, 1, 1])
        XCTAssertEqual(running.status, .running)

        XCTAssertEqual(try publisher().publishOnce(now: now), .published(expected))
        XCTAssertEqual(try metric("QueuedJobs", at: now), [3])
        XCTAssertEqual(try metric("RunningJobs", at: now), [1])
        XCTAssertEqual(try metric("DeadJobs", at: now), [1])
        let age = try XCTUnwrap(metric("OldestQueuedJobAge", at: now).first)
        XCTAssertEqual(age, expected.oldestQueuedAge(now: now), accuracy: 0.001)
        XCTAssertGreaterThanOrEqual(age, 27, "the third job was due 28 s before now")
        XCTAssertEqual(try metric("QueuedJobs", stack: "another", at: now), [], "the dimension names the stack")
    }

    func testOnePublisherPerMinuteWhateverTheNumberOfInstances() throws {
        let minute = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 60).rounded(.down) * 60 + 5)
        let instances = (0..<4).map { publisher(me: "instance-\($0)") }
        let outcomes = try instances.map { try $0.publishOnce(now: minute) }
        XCTAssertEqual(outcomes.filter { $0 != .skipped }.count, 1, "\(outcomes)")
        XCTAssertEqual(try instances[2].publishOnce(now: minute.addingTimeInterval(60)) != .skipped, true,
                       "the next minute is anybody's")
        XCTAssertEqual(try instances[3].publishOnce(now: minute.addingTimeInterval(61)), .skipped)
        // Another stack sharing the table elects on its own.
        XCTAssertNotEqual(try publisher(stack: "other").publishOnce(now: minute), .skipped)
        // The election item is in no index: the queue does not see it.
        XCTAssertEqual(try queue.depth(now: minute).queued, 0)
        XCTAssertEqual(try queue.jobs(status: .queued, cursor: nil, limit: 10).items.count, 0)
    }

    func testAnUnreachableCloudWatchIsLoggedAndTheLoopGoesOn() throws {
        _ = try queue.enqueue(.image("img"), availableAt: Date())
        let moto = try self.moto
        var configuration = try moto.client(maxAttempts: 1).configuration
        configuration.endpointOverrides[AWSService.cloudWatch.name] = try AWSEndpoint(url: "http://127.0.0.1:\(freeLoopbackPort())")
        let unreachable = AWSClient(configuration: configuration)
        let recorder = LogRecorder()
        let publisher = BacklogPublisher(jobs: queue, cloudWatch: CloudWatch(client: unreachable), namespace: "Gallery",
                                         stack: "gtest", election: nil, logger: recorder.logger)
        var rounds = 0
        let started = Date()
        publisher.run(interval: 0.2) {
            rounds += 1
            return rounds > 3
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
        let errors = recorder.messages.filter { $0.contains("cannot publish the backlog") }
        XCTAssertEqual(errors.count, 3, "\(recorder.messages)")
        XCTAssertTrue(errors.allSatisfy { $0.hasPrefix("error") && $0.contains("cloudwatch PutMetricData") }, "\(errors)")
        // The queue was never touched by the failures.
        XCTAssertEqual(try queue.depth(now: Date()).queued, 1)
    }
}
