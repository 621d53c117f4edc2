import Foundation

/// The tables of `DynamoTables.specs` as CloudFormation resources: what
/// `gallery setup --cloudformation` prints and `deploy/aws/gallery.yaml` holds, so the stack and
/// `gallery setup` make the same keys, indexes and TTL from this one definition
/// (`Tests/EndToEnd/test_cloudformation.py` compares the template with this output and the
/// tables each made on moto).
extension DynamoTables {
    /// Resources keyed by logical id (`JobsTable`, `AlbumImagesTable`, …); the table names
    /// are `<stack name>-<table>`, i.e. the stack's `GALLERY_AWS_PREFIX` is `<stack name>-`.
    public func cloudFormationResources() -> [String: Any] {
        var resources: [String: Any] = [:]
        for spec in specs {
            let table = String(spec.name.dropFirst(prefix.count))
            let logicalID = table.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined() + "Table"
            var keys: [[String: String]] = [["AttributeName": spec.key, "KeyType": "HASH"]]
            if let range = spec.range { keys.append(["AttributeName": range, "KeyType": "RANGE"]) }
            var properties: [String: Any] = [
                "TableName": ["Fn::Sub": "${AWS::StackName}-\(table)"],
                "BillingMode": "PAY_PER_REQUEST",
                "SSESpecification": ["SSEEnabled": true],
                // The tables' backup (AWSSetup turns it on too).
                "PointInTimeRecoverySpecification": ["PointInTimeRecoveryEnabled": true],
                "AttributeDefinitions": spec.attributeDefinitions(only: nil),
                "KeySchema": keys,
            ]
            if !spec.indexes.isEmpty { properties["GlobalSecondaryIndexes"] = spec.indexes.map(\.json) }
            if !spec.localIndexes.isEmpty { properties["LocalSecondaryIndexes"] = spec.localIndexes.map(\.json) }
            if spec.ttl { properties["TimeToLiveSpecification"] = ["AttributeName": Self.ttlAttribute, "Enabled": true] }
            // The photos and accounts outlive a deleted or replaced stack.
            resources[logicalID] = ["Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
                                    "Properties": properties]
        }
        return resources
    }
}

extension DynamoTables.TableSpec {
    /// The attributes the keys of the table and of `only` (or of all its indexes) use: DynamoDB
    /// refuses definitions no key uses.
    func attributeDefinitions(only index: DynamoTables.IndexSpec?) -> [[String: String]] {
        var wanted = Set([key] + (range.map { [$0] } ?? []))
        for i in index.map({ [$0] }) ?? (indexes + localIndexes) {
            wanted.insert(i.hash)
            if let range = i.range { wanted.insert(range) }
        }
        return attributes.filter { wanted.contains($0.0) }.map { ["AttributeName": $0.0, "AttributeType": $0.1] }
    }
}

extension DynamoTables.IndexSpec {
    var json: [String: Any] {
        var keys = [["AttributeName": hash, "KeyType": "HASH"]]
        if let range { keys.append(["AttributeName": range, "KeyType": "RANGE"]) }
        return ["IndexName": name, "KeySchema": keys, "Projection": ["ProjectionType": projection]]
    }
}
