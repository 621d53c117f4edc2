import Foundation
import GalleryCore

/// The DynamoDB operations the stores use, over the JSON 1.0 protocol.
struct DynamoDB: Sendable {
    let client: AWSClient

    func call(_ operation: String, _ body: [String: Any]) throws -> [String: Any] {
        try client.json(.dynamoDB, target: "DynamoDB_20120810", operation, version: "1.0", body)
    }

    func getItem(_ table: String, key: DynamoItem) throws -> DynamoItem? {
        let answer = try call("GetItem", ["TableName": table, "Key": key.json, "ConsistentRead": true])
        guard let item = answer["Item"] else { return nil }
        return try decoded("GetItem") { try DynamoItem(json: item) }
    }

    /// Throws `AWSError` with code `ConditionalCheckFailedException` when `condition` is false.
    func putItem(_ table: String, _ item: DynamoItem, condition: Expression? = nil) throws {
        var body: [String: Any] = ["TableName": table, "Item": item.json]
        condition?.add(to: &body, as: "ConditionExpression")
        _ = try call("PutItem", body)
    }

    /// Returns the item as `returnValues` asks (`ALL_NEW`, `ALL_OLD`), or nil for `NONE`.
    @discardableResult
    func updateItem(_ table: String, key: DynamoItem, update: Expression, condition: Expression? = nil,
                    returnValues: String = "NONE") throws -> DynamoItem? {
        var body: [String: Any] = ["TableName": table, "Key": key.json, "ReturnValues": returnValues]
        update.add(to: &body, as: "UpdateExpression")
        condition?.add(to: &body, as: "ConditionExpression")
        let answer = try call("UpdateItem", body)
        guard let attributes = answer["Attributes"] else { return nil }
        return try decoded("UpdateItem") { try DynamoItem(json: attributes) }
    }

    /// The deleted item when `returnOld` (nil if there was none).
    @discardableResult
    func deleteItem(_ table: String, key: DynamoItem, condition: Expression? = nil, returnOld: Bool = false) throws -> DynamoItem? {
        var body: [String: Any] = ["TableName": table, "Key": key.json, "ReturnValues": returnOld ? "ALL_OLD" : "NONE"]
        condition?.add(to: &body, as: "ConditionExpression")
        let answer = try call("DeleteItem", body)
        guard let attributes = answer["Attributes"] else { return nil }
        return try decoded("DeleteItem") { try DynamoItem(json: attributes) }
    }

    struct QueryPage {
        var items: [DynamoItem]
        var lastEvaluatedKey: DynamoItem?
    }

    /// One Query call; `filter` uses the names and values of `key`. `consistent` reads are for
    /// tables and local indexes only (a global index is always eventually consistent).
    func query(_ table: String, index: String? = nil, key: Expression, filter: String? = nil, limit: Int? = nil,
               forward: Bool = true, startKey: DynamoItem? = nil, countOnly: Bool = false,
               consistent: Bool = false) throws -> QueryPage {
        var body: [String: Any] = ["TableName": table, "ScanIndexForward": forward]
        if consistent { body["ConsistentRead"] = true }
        if let index { body["IndexName"] = index }
        key.add(to: &body, as: "KeyConditionExpression")
        if let filter { body["FilterExpression"] = filter }
        if let limit { body["Limit"] = limit }
        if let startKey { body["ExclusiveStartKey"] = startKey.json }
        if countOnly { body["Select"] = "COUNT" }
        let answer = try call("Query", body)
        return try decoded("Query") {
            let items = try ((answer["Items"] as? [Any]) ?? []).map { try DynamoItem(json: $0) }
            let last = try answer["LastEvaluatedKey"].map { try DynamoItem(json: $0) }
            if countOnly {
                let count = (answer["Count"] as? Int) ?? (answer["Count"] as? NSNumber)?.intValue ?? 0
                return QueryPage(items: Array(repeating: [:], count: count), lastEvaluatedKey: last)
            }
            return QueryPage(items: items, lastEvaluatedKey: last)
        }
    }

    /// One Scan page (maintenance only: it reads the whole table over its pages).
    func scan(_ table: String, filter: Expression, limit: Int, startKey: DynamoItem? = nil) throws -> QueryPage {
        var body: [String: Any] = ["TableName": table, "Limit": limit]
        filter.add(to: &body, as: "FilterExpression")
        if let startKey { body["ExclusiveStartKey"] = startKey.json }
        let answer = try call("Scan", body)
        return try decoded("Scan") {
            QueryPage(items: try ((answer["Items"] as? [Any]) ?? []).map { try DynamoItem(json: $0) },
                      lastEvaluatedKey: try answer["LastEvaluatedKey"].map { try DynamoItem(json: $0) })
        }
    }

    /// Follows `LastEvaluatedKey` until `wanted` items arrived or the key range ends (a Query
    /// page stops at 1 MB whatever its Limit).
    func queryUpTo(_ wanted: Int, _ table: String, index: String? = nil, key: Expression, filter: String? = nil,
                   forward: Bool = true, startKey: DynamoItem? = nil, consistent: Bool = false) throws -> [DynamoItem] {
        var items: [DynamoItem] = []
        var start = startKey
        repeat {
            let page = try query(table, index: index, key: key, filter: filter, limit: wanted - items.count,
                                 forward: forward, startKey: start, consistent: consistent)
            items += page.items
            start = page.lastEvaluatedKey
        } while start != nil && items.count < wanted
        return items
    }

    /// The number of items under a key condition, counted page by page.
    func count(_ table: String, index: String? = nil, key: Expression) throws -> Int {
        var total = 0
        var start: DynamoItem?
        repeat {
            let page = try query(table, index: index, key: key, startKey: start, countOnly: true)
            total += page.items.count
            start = page.lastEvaluatedKey
        } while start != nil
        return total
    }

    /// All or nothing. A refused condition throws `TransactionCanceled` with one reason
    /// code per item ("None" for the items that were fine).
    func transactWrite(_ items: [[String: Any]]) throws {
        do {
            _ = try call("TransactWriteItems", ["TransactItems": items])
        } catch let error as AWSError where error.code == "TransactionCanceledException" {
            throw TransactionCanceled(reasons: Self.cancellationReasons(error.message), error: error)
        }
    }

    /// Deletes in batches of 25, resending what DynamoDB left unprocessed (with a pause).
    func batchDelete(_ table: String, keys: [DynamoItem]) throws {
        try batchWrite(table, keys.map { ["DeleteRequest": ["Key": $0.json]] })
    }

    /// Puts (whole items, unconditionally) in batches of 25, like `batchDelete`.
    func batchPut(_ table: String, items: [DynamoItem]) throws {
        try batchWrite(table, items.map { ["PutRequest": ["Item": $0.json]] })
    }

    /// Strongly consistent reads of many items by key, 100 per call, resending unprocessed
    /// keys. The answer is in no particular order; absent items are simply missing.
    func batchGet(_ table: String, keys: [DynamoItem]) throws -> [DynamoItem] {
        var items: [DynamoItem] = []
        for start in stride(from: 0, to: keys.count, by: 100) {
            var wanted: [Any] = keys[start..<min(start + 100, keys.count)].map(\.json)
            var rounds = 0
            while !wanted.isEmpty {
                rounds += 1
                let answer = try call("BatchGetItem", ["RequestItems": [table: ["Keys": wanted, "ConsistentRead": true]]])
                let found = ((answer["Responses"] as? [String: Any])?[table] as? [Any]) ?? []
                items += try decoded("BatchGetItem") { try found.map { try DynamoItem(json: $0) } }
                wanted = (((answer["UnprocessedKeys"] as? [String: Any])?[table] as? [String: Any])?["Keys"] as? [Any]) ?? []
                if !wanted.isEmpty {
                    guard rounds < 8 else {
                        throw GalleryError.unavailable("dynamodb BatchGetItem: \(wanted.count) keys left unprocessed")
                    }
                    Thread.sleep(forTimeInterval: client.configuration.retry.delay(retry: rounds, throttled: true))
                }
            }
        }
        return items
    }

    private func batchWrite(_ table: String, _ all: [[String: Any]]) throws {
        for start in stride(from: 0, to: all.count, by: 25) {
            var requests: [Any] = Array(all[start..<min(start + 25, all.count)])
            var rounds = 0
            while !requests.isEmpty {
                rounds += 1
                let answer = try call("BatchWriteItem", ["RequestItems": [table: requests]])
                requests = ((answer["UnprocessedItems"] as? [String: Any])?[table] as? [Any]) ?? []
                if !requests.isEmpty {
                    guard rounds < 8 else {
                        throw GalleryError.unavailable("dynamodb BatchWriteItem: \(requests.count) writes left unprocessed")
                    }
                    Thread.sleep(forTimeInterval: client.configuration.retry.delay(retry: rounds, throttled: true))
                }
            }
        }
    }

    /// "Transaction cancelled, please refer cancellation reasons for specific reasons
    /// [ConditionalCheckFailed, None]": the codes are only in the message of the JSON protocol.
    static func cancellationReasons(_ message: String) -> [String] {
        guard let open = message.lastIndex(of: "["), let close = message.lastIndex(of: "]"), open < close else { return [] }
        return message[message.index(after: open)..<close].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    private func decoded<T>(_ operation: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DynamoDecodingError {
            throw GalleryError.unavailable("dynamodb \(operation): unexpected answer: \(error)")
        }
    }
}

struct TransactionCanceled: Error {
    var reasons: [String]
    var error: AWSError
}

/// An expression with its `#name` and `:value` placeholders.
struct Expression {
    var text: String
    var names: [String: String] = [:]
    var values: DynamoItem = [:]

    func add(to body: inout [String: Any], as field: String) {
        body[field] = text
        if !names.isEmpty {
            body["ExpressionAttributeNames"] = ((body["ExpressionAttributeNames"] as? [String: String]) ?? [:])
                .merging(names) { $1 }
        }
        if !values.isEmpty {
            body["ExpressionAttributeValues"] = ((body["ExpressionAttributeValues"] as? [String: Any]) ?? [:])
                .merging(values.json) { $1 }
        }
    }
}

extension AWSError {
    var isConditionFailure: Bool { code == "ConditionalCheckFailedException" }
}
