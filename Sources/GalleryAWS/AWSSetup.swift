import Foundation
import GalleryCore

/// `gallery setup` for the AWS backend: creates what is missing (tables with their indexes
/// and TTL, the bucket with encryption and public access blocked) and reports what exists.
/// Running it again changes nothing.
public final class AWSSetup {
    public enum State: String, Sendable { case created, existed, updated }

    public struct Step: CustomStringConvertible, Sendable {
        public var resource: String
        public var state: State
        public var detail: String
        public var description: String { "\(state.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(resource)" + (detail.isEmpty ? "" : " (\(detail))") }
    }

    private let client: AWSClient
    private let db: DynamoDB
    private let tables: DynamoTables
    private let bucket: S3Bucket?
    /// How long to wait for a table or index to become ACTIVE.
    public var activeTimeout: TimeInterval = 300

    public init(client: AWSClient, tables: DynamoTables, bucket: S3Bucket?) {
        self.client = client
        self.db = DynamoDB(client: client)
        self.tables = tables
        self.bucket = bucket
    }

    public func run() throws -> [Step] {
        do {
            var steps: [Step] = []
            for spec in tables.specs { steps += try ensure(spec) }
            if let bucket { steps += try bucket.ensureExists() }
            return steps
        } catch {
            throw error.asGalleryError
        }
    }

    // MARK: Tables

    private func describe(_ table: String) throws -> [String: Any]? {
        do {
            return try db.call("DescribeTable", ["TableName": table])["Table"] as? [String: Any]
        } catch let error as AWSError where error.code == "ResourceNotFoundException" {
            return nil
        }
    }

    private func ensure(_ spec: DynamoTables.TableSpec) throws -> [Step] {
        var steps: [Step] = []
        if let existing = try describe(spec.name) {
            let present = Set(((existing["GlobalSecondaryIndexes"] as? [[String: Any]]) ?? []).compactMap { $0["IndexName"] as? String })
            steps.append(Step(resource: "table \(spec.name)", state: .existed, detail: ""))
            for index in spec.indexes where !present.contains(index.name) {
                // One index per UpdateTable, each waited for: DynamoDB builds them one at a time.
                _ = try db.call("UpdateTable", [
                    "TableName": spec.name,
                    "AttributeDefinitions": spec.attributeDefinitions(only: index),
                    "GlobalSecondaryIndexUpdates": [["Create": index.json]],
                ])
                try waitUntilActive(spec.name)
                steps.append(Step(resource: "index \(spec.name).\(index.name)", state: .created, detail: "backfilled"))
            }
            for index in spec.indexes where present.contains(index.name) {
                steps.append(Step(resource: "index \(spec.name).\(index.name)", state: .existed, detail: ""))
            }
            let local = Set(((existing["LocalSecondaryIndexes"] as? [[String: Any]]) ?? []).compactMap { $0["IndexName"] as? String })
            for index in spec.localIndexes {
                // DynamoDB cannot add a local index to a table: only a new table gets one.
                guard local.contains(index.name) else {
                    throw GalleryError.unavailable(
                        "dynamodb: table \(spec.name) lacks the local index \(index.name); it must be recreated")
                }
                steps.append(Step(resource: "index \(spec.name).\(index.name)", state: .existed, detail: "local"))
            }
        } else {
            var keys = [["AttributeName": spec.key, "KeyType": "HASH"]]
            if let range = spec.range { keys.append(["AttributeName": range, "KeyType": "RANGE"]) }
            var body: [String: Any] = [
                "TableName": spec.name,
                "AttributeDefinitions": spec.attributeDefinitions(only: nil),
                "KeySchema": keys,
                "BillingMode": "PAY_PER_REQUEST",
                "SSESpecification": ["Enabled": true],
            ]
            if !spec.indexes.isEmpty { body["GlobalSecondaryIndexes"] = spec.indexes.map(\.json) }
            if !spec.localIndexes.isEmpty { body["LocalSecondaryIndexes"] = spec.localIndexes.map(\.json) }
            _ = try db.call("CreateTable", body)
            try waitUntilActive(spec.name)
            steps.append(Step(resource: "table \(spec.name)", state: .created, detail: "on-demand, encrypted"))
            for index in spec.indexes + spec.localIndexes {
                steps.append(Step(resource: "index \(spec.name).\(index.name)", state: .created, detail: index.projection))
            }
        }
        // The table's backup: point-in-time recovery (restore to any second of the last 35 days).
        let backups = try db.call("DescribeContinuousBackups", ["TableName": spec.name])
        let recovery = ((backups["ContinuousBackupsDescription"] as? [String: Any])?["PointInTimeRecoveryDescription"]
                        as? [String: Any])?["PointInTimeRecoveryStatus"] as? String
        if recovery == "ENABLED" {
            steps.append(Step(resource: "point-in-time recovery \(spec.name)", state: .existed, detail: ""))
        } else {
            _ = try db.call("UpdateContinuousBackups", ["TableName": spec.name,
                                                         "PointInTimeRecoverySpecification": ["PointInTimeRecoveryEnabled": true]])
            steps.append(Step(resource: "point-in-time recovery \(spec.name)", state: .created, detail: "35 days"))
        }
        if spec.ttl {
            let answer = try db.call("DescribeTimeToLive", ["TableName": spec.name])
            let ttl = answer["TimeToLiveDescription"] as? [String: Any]
            let status = ttl?["TimeToLiveStatus"] as? String
            if status == "ENABLED" || status == "ENABLING" {
                steps.append(Step(resource: "ttl \(spec.name).\(DynamoTables.ttlAttribute)", state: .existed, detail: ""))
            } else {
                _ = try db.call("UpdateTimeToLive", ["TableName": spec.name, "TimeToLiveSpecification": [
                    "Enabled": true, "AttributeName": DynamoTables.ttlAttribute]])
                steps.append(Step(resource: "ttl \(spec.name).\(DynamoTables.ttlAttribute)", state: .created, detail: ""))
            }
        }
        return steps
    }

    private func waitUntilActive(_ table: String) throws {
        let deadline = Date().addingTimeInterval(activeTimeout)
        while true {
            let description = try describe(table)
            let tableActive = description?["TableStatus"] as? String == "ACTIVE"
            let indexesActive = ((description?["GlobalSecondaryIndexes"] as? [[String: Any]]) ?? [])
                .allSatisfy { $0["IndexStatus"] as? String == "ACTIVE" || $0["IndexStatus"] == nil }
            if tableActive && indexesActive { return }
            guard Date() < deadline else {
                throw GalleryError.unavailable("dynamodb: table \(table) not ACTIVE after \(Int(activeTimeout))s")
            }
            Thread.sleep(forTimeInterval: 2)
        }
    }
}
