import Foundation
import GalleryCore
import GalleryCrypto

/// Profiles, sessions and images in DynamoDB (tables of `DynamoTables`). Every read of one
/// item is strongly consistent; lists are Queries on indexes, newest first, cursor-paged.
public final class DynamoMetadataStore: MetadataStore {
    let db: DynamoDB
    let tables: DynamoTables
    let writer: ImageWriter
    private let now: @Sendable () -> Date

    public init(client: AWSClient, tables: DynamoTables, now: @escaping @Sendable () -> Date = { Date() }) {
        self.db = DynamoDB(client: client)
        self.tables = tables
        self.writer = ImageWriter(db: db, tables: tables)
        self.now = now
    }

    // MARK: Profiles

    public func createProfile(_ profile: Profile) throws {
        let item = ProfileItem.encode(profile)
        let name = ProfileItem.nameKey(profile.username).merging(["userID": .s(profile.userID)]) { $1 }
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
        try call { try db.getItem(tables.profiles, key: ProfileItem.key(userID)).map(ProfileItem.decode) }
    }

    public func profile(username: String) throws -> Profile? {
        try call {
            guard let name = try db.getItem(tables.profiles, key: ProfileItem.nameKey(username)) else { return nil }
            return try db.getItem(tables.profiles, key: ProfileItem.key(try name.string("userID"))).map(ProfileItem.decode)
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
        if !session.device.isEmpty { item["device"] = .s(session.device) }
        try call { try db.putItem(tables.sessions, item) }
    }

    /// nil for an expired session too: DynamoDB's TTL deletes items up to days late.
    public func session(idHash: String) throws -> SessionRecord? {
        try call {
            guard let item = try db.getItem(tables.sessions, key: ["idHash": .s(idHash)]) else { return nil }
            let session = try Self.session(item)
            return session.expiresAt > now() ? session : nil
        }
    }

    /// The `byUser` index holds keys only, so each session is read by its key (a person has
    /// a handful); a session created in the last moment may be missing (eventual index).
    public func sessions(userID: String) throws -> [SessionRecord] {
        try call {
            var found: [SessionRecord] = []
            var start: DynamoItem?
            repeat {
                let page = try db.query(tables.sessions, index: DynamoTables.sessionsByUser,
                                        key: Expression(text: "userID = :u", values: [":u": .s(userID)]), startKey: start)
                for key in page.items {
                    if let item = try db.getItem(tables.sessions, key: ["idHash": .s(try key.string("idHash"))]) {
                        let session = try Self.session(item)
                        if session.expiresAt > now() { found.append(session) }
                    }
                }
                start = page.lastEvaluatedKey
            } while start != nil
            return found.sorted { $0.lastSeenAt > $1.lastSeenAt }
        }
    }

    private static func session(_ item: DynamoItem) throws -> SessionRecord {
        SessionRecord(idHash: try item.string("idHash"), userID: try item.string("userID"),
                      createdAt: try item.date("createdAt"), lastSeenAt: try item.date("lastSeenAt"),
                      expiresAt: try item.date("expiresAt"), providerToken: item["providerToken"]?.string,
                      device: item["device"]?.string ?? "")
    }

    // MARK: Attempt counters

    /// One UpdateItem (ADD is atomic) in the sessions table, whose TTL already sweeps it:
    /// keys start with "attempts#", which no session's hex hash does, and the items carry no
    /// `userID`, so they are not in the `byUser` index. TTL deletes up to days late, which is
    /// harmless: the throttles put the window in the key, so an old key is never counted again.
    public func countAttempt(key: String, expiresAt: Date) throws -> Int {
        try call {
            let answer = try db.updateItem(
                tables.sessions, key: ["idHash": .s("attempts#" + key)],
                update: Expression(text: "ADD attempts :one SET #ttl = if_not_exists(#ttl, :ttl)",
                                   names: ["#ttl": DynamoTables.ttlAttribute],
                                   values: [":one": .int(1), ":ttl": .int(DynamoTime.epochSeconds(expiresAt))]),
                returnValues: "UPDATED_NEW")
            guard let count = answer?["attempts"]?.int else {
                throw GalleryError.unavailable("dynamodb: the attempt counter returned nothing")
            }
            return count
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

    /// One transaction with the owner's usage counters (and a check that the owner's account
    /// is not being removed: `.notFound`, as on SQLite); the search entries just before it.
    /// `.invalid` for details the catalog would refuse.
    public func putImage(_ image: ImageRecord) throws {
        try put(image)
    }

    /// `with`: more writes of the same transaction (`DynamoImageIntake`'s job).
    func put(_ image: ImageRecord, with more: [[String: Any]] = []) throws {
        try CatalogRules.checkDetails(title: image.title, description: image.description, tags: image.tags)
        try CatalogRules.checkVisibility(image.visibility, encrypted: image.encrypted)
        try CatalogRules.checkShareToken(image.shareToken)
        try call { try writer.create(image, with: more) }
    }

    public func image(id: String) throws -> ImageRecord? {
        try call { try db.getItem(tables.images, key: ["id": .s(id)]).map(ImageItem.decode) }
    }

    /// A Scan of the images table (the cursor is the last key it read, base64url).
    public func processingImages(createdBefore: Date, cursor: String?, limit: Int) throws -> Page<ImageRecord> {
        let limit = try PageSize.checked(limit)
        var start: DynamoItem?
        if let cursor {
            guard let bytes = Encoding.base64URLDecode(cursor), let id = String(bytes: bytes, encoding: .utf8),
                  !id.isEmpty, id.utf8.count <= 200 else { throw GalleryError.invalid("bad page cursor") }
            start = ["id": .s(id)]
        }
        let page = try call {
            try db.scan(tables.images, filter: Expression(text: "#status = :processing AND createdAt < :before",
                                                          names: ["#status": "status"],
                                                          values: [":processing": .s(ImageStatus.processing.rawValue),
                                                                   ":before": .milliseconds(createdBefore)]),
                        limit: limit, startKey: start)
        }
        let next = try page.lastEvaluatedKey.map { Encoding.base64URL(Array(try $0.string("id").utf8)) }
        return Page(items: try page.items.map(ImageItem.decode), next: next)
    }

    /// Also indexes the camera's words and moves the photo in albums ordered by date taken.
    public func markImageReady(id: String, derivatives: ImageDerivatives) throws {
        try replaceExisting(id) {
            $0.status = .ready
            $0.derivatives = derivatives
            $0.failureReason = nil
        }
    }

    public func markImageProcessing(id: String) throws {
        try replaceExisting(id) {
            $0.status = .processing
            $0.failureReason = nil
        }
    }

    public func markImageFailed(id: String, reason: String) throws {
        try replaceExisting(id) {
            $0.status = .failed
            $0.failureReason = reason
        }
    }

    /// Also takes it out of every album (counts and covers follow in the same transaction),
    /// out of the usage counters and the search index, and clears the avatar that was it.
    @discardableResult
    public func deleteImage(id: String) throws -> ImageRecord? {
        try call { try writer.delete(id) }
    }

    public func images(ownerID: String, cursor: String?, limit: Int) throws -> Page<ImageRecord> {
        try newestFirst(tables.images, index: DynamoTables.imagesByOwner, partition: ("ownerID", ownerID), cursor: cursor,
                        limit: limit, ImageItem.decode)
    }

    public func publicFeed(cursor: String?, limit: Int) throws -> Page<ImageRecord> {
        try newestFirst(tables.images, index: DynamoTables.publicFeed, partition: ("feed", ImageItem.publicFeed),
                        cursor: cursor, limit: limit, ImageItem.decode)
    }

    /// One page of an index partition (images or albums: both have `id` and `createdKey`),
    /// read backwards from the cursor's position. The cursor becomes the ExclusiveStartKey
    /// (index key + table key); `limit + 1` items tell whether a next page exists, so the last
    /// page never points to an empty one.
    func newestFirst<T: Sendable>(_ table: String, index: String, partition: (name: String, value: String), cursor: String?,
                                  limit: Int, _ decode: (DynamoItem) throws -> T) throws -> Page<T> {
        let limit = try PageSize.checked(limit)
        let position = try PageCursor.decode(cursor)
        return try call {
            let start: DynamoItem? = position.map {
                [partition.name: .s(partition.value), "createdKey": .s($0), "id": .s(PageCursor.id(of: $0))]
            }
            let items = try db.queryUpTo(limit + 1, table, index: index,
                                         key: Expression(text: "#p = :p", names: ["#p": partition.name],
                                                         values: [":p": .s(partition.value)]),
                                         forward: false, startKey: start)
            let rows = try items.map { (key: try $0.string("createdKey"), value: try decode($0)) }
            guard rows.count > limit else { return Page(items: rows.map(\.value), next: nil) }
            return Page(items: rows.prefix(limit).map(\.value), next: PageCursor.encode(rows[limit - 1].key))
        }
    }

    private func replaceExisting(_ id: String, _ change: @escaping (inout ImageRecord) -> Void) throws {
        let result = try call {
            try writer.replace(id) { image in
                var image = image
                change(&image)
                return image
            }
        }
        guard result != nil else { throw GalleryError.notFound }
    }

    // MARK: Helpers

    /// Runs a call; AWS failures become `.unavailable` naming the call.
    @discardableResult
    func call<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DynamoDecodingError {
            throw GalleryError.unavailable("dynamodb: an item in \(tables.prefix)* is not in our format: \(error)")
        } catch {
            throw error.asGalleryError
        }
    }
}
