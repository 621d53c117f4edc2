import Foundation
import GalleryCore

/// Profiles, sessions and images in DynamoDB (tables of `DynamoTables`). Every read of one
/// item is strongly consistent; lists are Queries on indexes, newest first, cursor-paged.
public final class DynamoMetadataStore: MetadataStore {
    private let db: DynamoDB
    private let tables: DynamoTables
    private let now: @Sendable () -> Date

    public init(client: AWSClient, tables: DynamoTables, now: @escaping @Sendable () -> Date = { Date() }) {
        self.db = DynamoDB(client: client)
        self.tables = tables
        self.now = now
    }

    // MARK: Profiles

    public func createProfile(_ profile: Profile) throws {
        let item: DynamoItem = [
            "pk": .s("USER#" + profile.userID), "userID": .s(profile.userID), "username": .s(profile.username),
            "email": .s(profile.email), "displayName": .s(profile.displayName), "createdAt": .milliseconds(profile.createdAt),
        ]
        let name: DynamoItem = ["pk": .s(Self.nameKey(profile.username)), "userID": .s(profile.userID)]
        let absent = "attribute_not_exists(pk)"
        do {
            try db.transactWrite([
                ["Put": ["TableName": tables.profiles, "Item": item.json, "ConditionExpression": absent]],
                ["Put": ["TableName": tables.profiles, "Item": name.json, "ConditionExpression": absent]],
            ])
        } catch let canceled as TransactionCanceled {
            if canceled.reasons.count == 2, canceled.reasons[1] == "ConditionalCheckFailed" {
                throw GalleryError.conflict("That username is taken.")
            }
            if canceled.reasons.first == "ConditionalCheckFailed" {
                throw GalleryError.conflict("A profile with this user id exists.")
            }
            throw canceled.error.unavailable
        } catch {
            throw error.asGalleryError
        }
    }

    public func profile(userID: String) throws -> Profile? {
        try call { try db.getItem(tables.profiles, key: ["pk": .s("USER#" + userID)]).map(Self.profile) }
    }

    public func profile(username: String) throws -> Profile? {
        try call {
            guard let name = try db.getItem(tables.profiles, key: ["pk": .s(Self.nameKey(username))]) else { return nil }
            return try db.getItem(tables.profiles, key: ["pk": .s("USER#" + name.string("userID"))]).map(Self.profile)
        }
    }

    public func updateProfile(userID: String, displayName: String) throws {
        do {
            try db.updateItem(tables.profiles, key: ["pk": .s("USER#" + userID)],
                              update: Expression(text: "SET displayName = :d", values: [":d": .s(displayName)]),
                              condition: Expression(text: "attribute_exists(pk)"))
        } catch let error as AWSError where error.isConditionFailure {
            throw GalleryError.notFound
        } catch {
            throw error.asGalleryError
        }
    }

    // MARK: Sessions

    public func createSession(_ session: SessionRecord) throws {
        var item: DynamoItem = [
            "idHash": .s(session.idHash), "userID": .s(session.userID), "createdAt": .milliseconds(session.createdAt),
            "lastSeenAt": .milliseconds(session.lastSeenAt), "expiresAt": .milliseconds(session.expiresAt),
            DynamoTables.ttlAttribute: .int(DynamoTime.epochSeconds(session.expiresAt)),
        ]
        if let token = session.providerToken { item["providerToken"] = .s(token) }
        try call { try db.putItem(tables.sessions, item) }
    }

    /// nil for an expired session too: DynamoDB's TTL deletes items up to days late.
    public func session(idHash: String) throws -> SessionRecord? {
        try call {
            guard let item = try db.getItem(tables.sessions, key: ["idHash": .s(idHash)]) else { return nil }
            let session = SessionRecord(idHash: try item.string("idHash"), userID: try item.string("userID"),
                                        createdAt: try item.date("createdAt"), lastSeenAt: try item.date("lastSeenAt"),
                                        expiresAt: try item.date("expiresAt"), providerToken: item["providerToken"]?.string)
            return session.expiresAt > now() ? session : nil
        }
    }

    /// A session deleted meanwhile (sign-out in another tab) stays deleted: no error.
    public func touchSession(idHash: String, lastSeenAt: Date) throws {
        do {
            try db.updateItem(tables.sessions, key: ["idHash": .s(idHash)],
                              update: Expression(text: "SET lastSeenAt = :t", values: [":t": .milliseconds(lastSeenAt)]),
                              condition: Expression(text: "attribute_exists(idHash)"))
        } catch let error as AWSError where error.isConditionFailure {
            return
        } catch {
            throw error.asGalleryError
        }
    }

    public func deleteSession(idHash: String) throws {
        try call { try db.deleteItem(tables.sessions, key: ["idHash": .s(idHash)]) }
    }

    /// The `byUser` index is eventually consistent: a session created in the last moment may
    /// be missed, and dies at its own expiry.
    public func deleteSessions(userID: String) throws {
        try call {
            var start: DynamoItem?
            repeat {
                let page = try db.query(tables.sessions, index: DynamoTables.sessionsByUser,
                                        key: Expression(text: "userID = :u", values: [":u": .s(userID)]), startKey: start)
                let keys = try page.items.map { ["idHash": AttributeValue.s(try $0.string("idHash"))] }
                try db.batchDelete(tables.sessions, keys: keys)
                start = page.lastEvaluatedKey
            } while start != nil
        }
    }

    // MARK: Images

    public func putImage(_ image: ImageRecord) throws {
        do {
            try db.putItem(tables.images, ImageItem.encode(image), condition: Expression(text: "attribute_not_exists(id)"))
        } catch let error as AWSError where error.isConditionFailure {
            throw GalleryError.conflict("An image with this id exists.")
        } catch {
            throw error.asGalleryError
        }
    }

    public func image(id: String) throws -> ImageRecord? {
        try call { try db.getItem(tables.images, key: ["id": .s(id)]).map(ImageItem.decode) }
    }

    public func markImageReady(id: String, derivatives: ImageDerivatives) throws {
        try updateExistingImage(id, Expression(
            text: "SET #status = :ready, derivatives = :d REMOVE failureReason",
            names: ["#status": "status"],
            values: [":ready": .s(ImageStatus.ready.rawValue), ":d": ImageItem.encode(derivatives)]))
    }

    public func markImageFailed(id: String, reason: String) throws {
        try updateExistingImage(id, Expression(
            text: "SET #status = :failed, failureReason = :r", names: ["#status": "status"],
            values: [":failed": .s(ImageStatus.failed.rawValue), ":r": .s(reason)]))
    }

    @discardableResult
    public func deleteImage(id: String) throws -> ImageRecord? {
        try call { try db.deleteItem(tables.images, key: ["id": .s(id)], returnOld: true).map(ImageItem.decode) }
    }

    public func images(ownerID: String, cursor: String?, limit: Int) throws -> Page<ImageRecord> {
        try newestFirst(index: DynamoTables.imagesByOwner, partition: ("ownerID", ownerID), cursor: cursor, limit: limit)
    }

    public func publicFeed(cursor: String?, limit: Int) throws -> Page<ImageRecord> {
        try newestFirst(index: DynamoTables.publicFeed, partition: ("feed", ImageItem.publicFeed), cursor: cursor, limit: limit)
    }

    /// One page of an index partition, read backwards from the cursor's position. The cursor
    /// becomes the ExclusiveStartKey (index key + table key); `limit + 1` items tell whether
    /// a next page exists, so the last page never points to an empty one.
    private func newestFirst(index: String, partition: (name: String, value: String), cursor: String?,
                             limit: Int) throws -> Page<ImageRecord> {
        let limit = try PageCursor.checkedLimit(limit)
        let position = try PageCursor.decode(cursor)
        return try call {
            let start: DynamoItem? = position.map {
                [partition.name: .s(partition.value), "createdKey": .s($0), "id": .s(PageCursor.id(of: $0))]
            }
            let items = try db.queryUpTo(limit + 1, tables.images, index: index,
                                         key: Expression(text: "#p = :p", names: ["#p": partition.name],
                                                         values: [":p": .s(partition.value)]),
                                         forward: false, startKey: start)
            let images = try items.map(ImageItem.decode)
            return PageCursor.page(images, limit: limit) { DynamoTime.sortKey($0.createdAt, id: $0.id) }
        }
    }

    private func updateExistingImage(_ id: String, _ update: Expression) throws {
        do {
            try db.updateItem(tables.images, key: ["id": .s(id)], update: update,
                              condition: Expression(text: "attribute_exists(id)"))
        } catch let error as AWSError where error.isConditionFailure {
            throw GalleryError.notFound
        } catch {
            throw error.asGalleryError
        }
    }

    // MARK: Helpers

    /// Usernames are one namespace whatever their case.
    static func nameKey(_ username: String) -> String { "NAME#" + username.lowercased() }

    static func profile(_ item: DynamoItem) throws -> Profile {
        Profile(userID: try item.string("userID"), username: try item.string("username"), email: try item.string("email"),
                displayName: try item.string("displayName"), createdAt: try item.date("createdAt"))
    }

    /// Runs a call; AWS failures become `.unavailable` naming the call.
    @discardableResult
    private func call<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DynamoDecodingError {
            throw GalleryError.unavailable("dynamodb: an item in \(tables.prefix)* is not in our format: \(error)")
        } catch {
            throw error.asGalleryError
        }
    }
}
