import Foundation
import GalleryCore

/// Albums, details, search, share links, quotas and account removal on DynamoDB, on the same
/// tables as `DynamoMetadataStore` plus `albums`, `album-images` and `terms` (`DynamoTables`).
/// No request scans a table: every list is a Query on a key.
///
/// Search. The `terms` table holds one small item per (scope, term, image): partition key
/// `term` = `O#<owner>#<term>` (the owner's own searches, every visibility) or `P#<term>`
/// (public photos, written only while the photo is public), sort key `sort` = the image's
/// createdKey (upload time#id), so each partition lists its photos newest first. A term is
/// `t:<tag>`, `w:<word of title or description>`, `c:<word of camera make or model>`
/// (`CatalogRules`: lower-case runs of letters and digits) or `e:encrypted` for every encrypted
/// photo (never public, so only in the owner's partition; set at upload, never changed). A
/// search Queries the one partition of its most selective term (the tag, else the longest
/// word, else the longest camera word, else `e:encrypted`), backwards from the cursor, reads the photos it names (BatchGetItem, consistent)
/// and keeps those that meet every criterion — the other terms, the date-taken range, the
/// scope's visibility — checked on the photo itself, so a stale entry never yields a wrong
/// hit. `.publicOf(owner)` reads the owner's partition and keeps the public photos. A search
/// by date taken alone reads the scope's own list (`byOwner`, `publicFeed`, `publicByOwner`)
/// the same way. The cursor is the sort key of the last photo returned (or read), like every
/// other cursor here. One call reads at most `searchBudget` candidates: when a rare
/// combination is not filled by then, the page comes back short — possibly empty — with a
/// `next` cursor to go on from. The entries are kept by `ImageWriter` on every write of an
/// image (details, visibility, the worker's camera data, deletion).
///
/// Albums: an item per album (with `imageCount`, kept exact), an item per membership in
/// `album-images` (key albumID + imageID; local indexes `newest` and `taken` order an
/// album's photos with consistent reads), and the `albums` string set on the image item:
/// adding, removing and deleting change all three in one transaction.
///
/// Usage: `USAGE#<owner>` counters in the profiles table, changed with ADD in the transaction
/// that puts or deletes an image (or album), so a quota check is one GetItem.
///
/// Account removal: `markDeleted` tombstones the profile, deletes the sessions, then Queries
/// the owner's images and albums a page at a time and makes each private without a share
/// link (one conditional UpdateItem each, 16 at a time) — a cost in proportion to the
/// account, acceptable because it happens once per account, and it makes every public list
/// and link forget the user at once. Uploads racing it are refused (`putImage` checks the
/// tombstone in its transaction).
public final class DynamoCatalogStore: CatalogStore {
    private let metadata: DynamoMetadataStore
    private var db: DynamoDB { metadata.db }
    private var tables: DynamoTables { metadata.tables }
    private var writer: ImageWriter { metadata.writer }
    /// Candidate photos one search call reads at most.
    public let searchBudget: Int

    /// Over the tables and client of `metadata`, whose reads and image writes it shares.
    public init(metadata: DynamoMetadataStore, searchBudget: Int = 1000) {
        self.metadata = metadata
        self.searchBudget = max(1, searchBudget)
    }

    // MARK: Photos

    public func updateDetails(imageID: String, title: String, description: String, tags: [String],
                              visibility: Visibility) throws {
        try CatalogRules.checkDetails(title: title, description: description, tags: tags)
        let result = try call {
            try writer.replace(imageID) { image in
                try CatalogRules.checkVisibility(visibility, encrypted: image.encrypted)
                var changed = image
                changed.title = title
                changed.description = description
                changed.tags = tags
                changed.visibility = visibility
                return changed == image ? nil : changed
            }
        }
        guard result != nil else { throw GalleryError.notFound }
    }

    public func setShareToken(imageID: String, token: String?) throws {
        try CatalogRules.checkShareToken(token)
        let result = try call {
            try writer.replace(imageID) { image in
                var changed = image
                changed.shareToken = token
                return changed == image ? nil : changed
            }
        }
        guard result != nil else { throw GalleryError.notFound }
    }

    /// The image whatever its visibility: the caller decides what a link may show. Found on
    /// the (eventually consistent) index, then read consistently: a revoked token finds nothing.
    public func image(shareToken: String) throws -> ImageRecord? {
        guard Identifiers.isShareToken(shareToken) else { return nil }
        return try call {
            for id in try idsOnIndex(tables.images, DynamoTables.byShareToken, "shareToken", shareToken) {
                if let image = try writer.get(id)?.image, image.shareToken == shareToken { return image }
            }
            return nil
        }
    }

    /// The first upload of these bytes. The index is eventually consistent: an upload of the
    /// same bytes within about a second of the first may not be recognised.
    public func image(ownerID: String, sha256: String) throws -> ImageRecord? {
        try call {
            let ids = try idsOnIndex(tables.images, DynamoTables.imagesBySHA256, "ownerSHA", ownerID + "#" + sha256)
            return try imagesByID(ids).values
                .filter { $0.ownerID == ownerID && $0.sha256 == sha256 }
                .min { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
        }
    }

    public func usage(ownerID: String) throws -> StorageUsage {
        try call {
            let item = try db.getItem(tables.profiles, key: ProfileItem.usageKey(ownerID))
            // Never below zero: photos stored before the counters existed are only counted down.
            return StorageUsage(bytes: max(0, item?["bytes"]?.int ?? 0), images: max(0, item?["images"]?.int ?? 0))
        }
    }

    public func search(_ query: SearchQuery, scope: Scope, cursor: String?, limit: Int) throws -> Page<ImageRecord> {
        let limit = try PageSize.checked(limit)
        let position = try PageCursor.decode(cursor)
        guard let terms = try CatalogRules.terms(of: query, scope: scope) else { return Page(items: [], next: nil) }
        let from = query.takenFrom.map(DynamoTime.milliseconds), to = query.takenTo.map(DynamoTime.milliseconds)
        let matches = { (image: ImageRecord) -> Bool in
            guard Self.inScope(image, scope), Set(terms).isSubset(of: CatalogRules.terms(of: image)) else { return false }
            if from == nil && to == nil { return true }
            guard let taken = image.derivatives?.metadata?.takenAt.map(DynamoTime.milliseconds) else { return false }
            return taken >= (from ?? .min) && taken <= (to ?? .max)
        }
        return try call {
            guard let term = Self.mostSelective(terms) else {
                let (index, partition) = self.list(scope)
                return try filteredPage(limit: limit, after: position, matches: matches) { after, count in
                    let page = try self.db.query(self.tables.images, index: index, key: Self.equals(partition.name, partition.value),
                                                 limit: count, forward: false, startKey: after.map {
                                                     [partition.name: .s(partition.value), "createdKey": .s($0),
                                                      "id": .s(PageCursor.id(of: $0))]
                                                 })
                    let rows = try page.items.map { (key: try $0.string("createdKey"), image: Optional(try ImageItem.decode($0))) }
                    return (rows, page.lastEvaluatedKey != nil)
                }
            }
            let partition = Self.termPrefix(scope) + term
            return try filteredPage(limit: limit, after: position, matches: matches) { after, count in
                let page = try self.db.query(self.tables.terms, key: Self.equals("term", partition), limit: count, forward: false,
                                             startKey: after.map { ["term": .s(partition), "sort": .s($0)] }, consistent: true)
                let keys = try page.items.map { try $0.string("sort") }
                let images = try self.imagesByID(keys.map(PageCursor.id(of:)))
                return (keys.map { (key: $0, image: images[PageCursor.id(of: $0)]) }, page.lastEvaluatedKey != nil)
            }
        }
    }

    public func publicImages(ownerID: String, cursor: String?, limit: Int) throws -> Page<ImageRecord> {
        let (index, partition) = list(.publicOf(ownerID))
        return try metadata.newestFirst(tables.images, index: index, partition: partition, cursor: cursor, limit: limit,
                                        ImageItem.decode)
    }

    /// Reads candidates newest first from `after` (`read(after, count)` gives their sort keys
    /// and photos, nil for a photo gone meanwhile) until a page is full, the list ends or the
    /// budget is spent.
    private func filteredPage(limit: Int, after position: String?, matches: (ImageRecord) -> Bool,
                              read: (_ after: String?, _ count: Int) throws -> ([(key: String, image: ImageRecord?)], Bool))
        throws -> Page<ImageRecord> {
        var found: [(key: String, image: ImageRecord)] = []
        var after = position, more = true, spent = 0
        while found.count <= limit && more && spent < searchBudget {
            let count = min(100, max(25, limit + 1 - found.count), searchBudget - spent)
            let (rows, hasMore) = try read(after, count)
            spent += rows.count
            for row in rows {
                after = row.key
                if let image = row.image, matches(image) { found.append((row.key, image)) }
            }
            more = hasMore && !rows.isEmpty
        }
        if found.count > limit {
            return Page(items: found.prefix(limit).map(\.image), next: PageCursor.encode(found[limit - 1].key))
        }
        return Page(items: found.map(\.image), next: more ? after.map(PageCursor.encode) : nil)
    }

    /// Rarest first, by a rule of thumb: a tag, then longer words, then camera words, and last
    /// `e:encrypted` (which names every encrypted photo of the owner).
    private static func mostSelective(_ terms: [String]) -> String? {
        terms.max { rank($0) < rank($1) }
    }

    private static func rank(_ term: String) -> (Int, Int, String) {
        let kind = term.hasPrefix("t:") ? 2 : term.hasPrefix("w:") ? 1 : term.hasPrefix("c:") ? 0 : -1
        return (kind, term.count, term)
    }

    private static func termPrefix(_ scope: Scope) -> String {
        switch scope {
        case .owner(let owner), .publicOf(let owner): return ImageWriter.ownerPrefix(owner)
        case .everyone: return ImageWriter.publicPrefix
        }
    }

    private static func inScope(_ image: ImageRecord, _ scope: Scope) -> Bool {
        switch scope {
        case .owner(let owner): return image.ownerID == owner
        case .everyone: return image.visibility == .public
        case .publicOf(let owner): return image.ownerID == owner && image.visibility == .public
        }
    }

    /// The index and partition that list a scope's images (or albums) newest first.
    private func list(_ scope: Scope) -> (String, (name: String, value: String)) {
        switch scope {
        case .owner(let owner): return (DynamoTables.imagesByOwner, ("ownerID", owner))
        case .everyone: return (DynamoTables.publicFeed, ("feed", ImageItem.publicFeed))
        case .publicOf(let owner): return (DynamoTables.publicByOwner, ("publicOwner", owner))
        }
    }

    // MARK: Albums

    /// `.notFound` while the owner's account is being removed.
    public func createAlbum(_ album: Album) throws {
        try CatalogRules.checkAlbum(title: album.title, description: album.description)
        try CatalogRules.checkShareToken(album.shareToken)
        guard album.coverImageID == nil else { throw GalleryError.invalid("A new album has no photo to be its cover.") }
        var fresh = album
        fresh.imageCount = 0
        try call {
            try writer.putOwned(AlbumItem.encode(fresh), into: tables.albums, owner: album.ownerID,
                                usage: writer.usageChange(album.ownerID, albums: 1), what: "An album")
        }
    }

    public func album(id: String) throws -> Album? {
        try call { try db.getItem(tables.albums, key: AlbumItem.key(id)).map(AlbumItem.decode) }
    }

    /// The album whatever its visibility, checked on the item itself like image links.
    public func album(shareToken: String) throws -> Album? {
        guard Identifiers.isShareToken(shareToken) else { return nil }
        return try call {
            for id in try idsOnIndex(tables.albums, DynamoTables.byShareToken, "shareToken", shareToken) {
                if let album = try album(id: id), album.shareToken == shareToken { return album }
            }
            return nil
        }
    }

    /// The cover must be a photo of the album (`.invalid`), checked in the same transaction.
    public func updateAlbum(_ album: Album) throws {
        try CatalogRules.checkAlbum(title: album.title, description: album.description)
        try CatalogRules.checkShareToken(album.shareToken)
        var set = ["#title = :title", "#description = :description", "#visibility = :visibility", "#order = :order",
                   "#updatedAt = :updatedAt"]
        var remove: [String] = []
        var names = ["#title": "title", "#description": "description", "#visibility": "visibility", "#order": "order",
                     "#updatedAt": "updatedAt"]
        var values: DynamoItem = [":title": .s(album.title), ":description": .s(album.description),
                                  ":visibility": .s(album.visibility.rawValue), ":order": .s(album.order.rawValue),
                                  ":updatedAt": .milliseconds(album.updatedAt)]
        func optional(_ name: String, _ value: String?) {
            names["#" + name] = name
            if let value {
                set.append("#\(name) = :\(name)")
                values[":" + name] = .s(value)
            } else {
                remove.append("#" + name)
            }
        }
        optional("shareToken", album.shareToken)
        optional("coverImageID", album.coverImageID)
        optional("feed", album.visibility == .public ? ImageItem.publicFeed : nil)
        optional("publicOwner", album.visibility == .public ? album.ownerID : nil)
        let update = "SET " + set.joined(separator: ", ") + (remove.isEmpty ? "" : " REMOVE " + remove.joined(separator: ", "))
        var items: [[String: Any]] = [["Update": [
            "TableName": tables.albums, "Key": AlbumItem.key(album.id).json, "UpdateExpression": update,
            "ConditionExpression": "attribute_exists(id)", "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values.json,
        ]]]
        if let cover = album.coverImageID {
            items.append(["ConditionCheck": ["TableName": tables.albumImages,
                                             "Key": AlbumItem.membershipKey(album: album.id, image: cover).json,
                                             "ConditionExpression": "attribute_exists(albumID)"]])
        }
        try updateCheckingReference(items, refused: "The cover must be a photo of the album.")
    }

    /// The album item goes first (no page shows it, no photo can join it), then its
    /// memberships, each with its image's `albums` set. Deleting a deleted album cleans up what
    /// an interrupted deletion left.
    @discardableResult
    public func deleteAlbum(id: String) throws -> Album? {
        try call {
            var deleted: Album?
            for _ in 0..<ImageWriter.attempts {
                guard let album = try album(id: id) else { break }
                do {
                    try db.transactWrite([
                        ["Delete": ["TableName": tables.albums, "Key": AlbumItem.key(id).json,
                                    "ConditionExpression": "attribute_exists(id)"]],
                        writer.usageChange(album.ownerID, albums: -1),
                    ])
                    deleted = album
                    break
                } catch let canceled as TransactionCanceled where canceled.reasons.first == "ConditionalCheckFailed" {
                    continue
                }
            }
            var start: DynamoItem?
            repeat {
                let page = try db.query(tables.albumImages, key: Self.equals("albumID", id), limit: 100, startKey: start,
                                        consistent: true)
                for item in page.items {
                    let imageID = try item.string("imageID")
                    try writer.remove(imageID, from: id)
                    // An image gone already or no more listing the album leaves only the membership.
                    try db.deleteItem(tables.albumImages, key: AlbumItem.membershipKey(album: id, image: imageID))
                }
                start = page.lastEvaluatedKey
            } while start != nil
            return deleted
        }
    }

    public func albums(scope: Scope, cursor: String?, limit: Int) throws -> Page<Album> {
        let (index, partition): (String, (name: String, value: String))
        switch scope {
        case .owner(let owner): (index, partition) = (DynamoTables.albumsByOwner, ("ownerID", owner))
        case .everyone: (index, partition) = (DynamoTables.publicFeed, ("feed", ImageItem.publicFeed))
        case .publicOf(let owner): (index, partition) = (DynamoTables.publicByOwner, ("publicOwner", owner))
        }
        return try metadata.newestFirst(tables.albums, index: index, partition: partition, cursor: cursor, limit: limit,
                                        AlbumItem.decode)
    }

    public func addToAlbum(albumID: String, imageIDs: [String]) throws {
        let ids = try Self.checkedIDs(imageIDs)
        try call {
            guard let album = try album(id: albumID) else { throw GalleryError.notFound }
            try writer.add(ids, to: album)
        }
    }

    public func removeFromAlbum(albumID: String, imageIDs: [String]) throws {
        let ids = try Self.checkedIDs(imageIDs)
        try call {
            guard try album(id: albumID) != nil else { throw GalleryError.notFound }
            for id in ids { try writer.remove(id, from: albumID) }
        }
    }

    public func albumImages(albumID: String, cursor: String?, limit: Int) throws -> Page<ImageRecord> {
        let limit = try PageSize.checked(limit)
        return try call {
            guard let album = try album(id: albumID) else { throw GalleryError.notFound }
            let index: String, sortName: String, position: String?, forward: Bool
            switch album.order {
            case .newest:
                (index, sortName, forward) = (DynamoTables.albumNewest, "newestKey", false)
                position = try PageCursor.decode(cursor)
            case .taken:
                (index, sortName, forward) = (DynamoTables.albumTaken, "takenKey", true)
                position = try AlbumItem.decodeTakenCursor(cursor)
            }
            let start: DynamoItem? = position.map {
                ["albumID": .s(albumID), "imageID": .s(AlbumItem.imageID(ofSortKey: $0)), sortName: .s($0)]
            }
            let members = try db.queryUpTo(limit + 1, tables.albumImages, index: index, key: Self.equals("albumID", albumID),
                                           forward: forward, startKey: start, consistent: true)
            let keys = try members.prefix(limit).map { try $0.string(sortName) }
            let images = try imagesByID(keys.map(AlbumItem.imageID(ofSortKey:)))
            let page = keys.compactMap { images[AlbumItem.imageID(ofSortKey: $0)] }
            return Page(items: page, next: members.count > limit ? PageCursor.encode(keys[limit - 1]) : nil)
        }
    }

    public func albums(containing imageID: String, limit: Int) throws -> [Album] {
        let limit = try PageSize.checked(limit)
        return try call {
            guard let image = try writer.get(imageID) else { return [] }
            return try db.batchGet(tables.albums, keys: image.albums.map(AlbumItem.key)).map(AlbumItem.decode)
                .sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }
                .prefix(limit).map { $0 }
        }
    }

    /// At most 1000 ids at once, each once.
    private static func checkedIDs(_ ids: [String]) throws -> [String] {
        guard ids.count <= 1000 else { throw GalleryError.invalid("At most 1000 photos at once.") }
        var seen = Set<String>()
        return ids.filter { seen.insert($0).inserted }
    }

    /// An update (the first item) and, if present, a check on the photo it refers to (the
    /// second): the item gone is `.notFound`, the check failing `.invalid(refused)`.
    private func updateCheckingReference(_ items: [[String: Any]], refused: String) throws {
        try call {
            do {
                try db.transactWrite(items)
            } catch let canceled as TransactionCanceled {
                if canceled.reasons.first == "ConditionalCheckFailed" { throw GalleryError.notFound }
                if canceled.reasons.count == 2, canceled.reasons[1] == "ConditionalCheckFailed" {
                    throw GalleryError.invalid(refused)
                }
                throw canceled.error.unavailable
            }
        }
    }

    // MARK: Profiles and accounts

    /// The avatar must be a photo of the user (`.invalid`), checked in the same transaction.
    public func updateProfileDetails(_ p: Profile) throws {
        try CatalogRules.checkProfile(p)
        var values: DynamoItem = [":displayName": .s(p.displayName), ":bio": .s(p.bio), ":address": .s(p.address),
                                  ":phone": .s(p.phone), ":visibility": .s(p.defaultVisibility.rawValue),
                                  ":share": .bool(p.sharePosition), ":strip": .bool(p.stripPositionForOthers)]
        var update = "SET displayName = :displayName, bio = :bio, address = :address, phone = :phone, "
            + "defaultVisibility = :visibility, sharePosition = :share, stripPositionForOthers = :strip"
        if let avatar = p.avatarImageID {
            update += ", avatarImageID = :avatar"
            values[":avatar"] = .s(avatar)
        } else {
            update += " REMOVE avatarImageID"
        }
        var items: [[String: Any]] = [["Update": [
            "TableName": tables.profiles, "Key": ProfileItem.key(p.userID).json, "UpdateExpression": update,
            "ConditionExpression": "attribute_exists(pk)", "ExpressionAttributeValues": values.json,
        ]]]
        if let avatar = p.avatarImageID {
            items.append(["ConditionCheck": ["TableName": tables.images, "Key": ["id": AttributeValue.s(avatar)].json,
                                             "ConditionExpression": "ownerID = :owner",
                                             "ExpressionAttributeValues": [":owner": AttributeValue.s(p.userID)].json]])
        }
        try updateCheckingReference(items, refused: "The avatar must be one of your photos.")
    }

    /// The tombstone (the first time is kept), the sessions, then every photo and album
    /// private without a link (see the top of this file for the cost).
    public func markDeleted(userID: String, at: Date) throws {
        try call {
            do {
                try db.updateItem(tables.profiles, key: ProfileItem.key(userID),
                                  update: Expression(text: "SET deletedAt = if_not_exists(deletedAt, :at)",
                                                     values: [":at": .milliseconds(at)]),
                                  condition: Expression(text: "attribute_exists(pk)"))
            } catch let error as AWSError where error.isConditionFailure {
                throw GalleryError.notFound
            }
            try metadata.deleteSessions(userID: userID)
            try forEachPage(tables.images, DynamoTables.imagesByOwner, "ownerID", userID) { ids in
                try Self.concurrently(ids) { try self.writer.makePrivate($0) }
            }
            try forEachPage(tables.albums, DynamoTables.albumsByOwner, "ownerID", userID) { ids in
                try Self.concurrently(ids) { try self.makePrivate(album: $0) }
            }
        }
    }

    private func makePrivate(album id: String) throws {
        do {
            try db.updateItem(tables.albums, key: AlbumItem.key(id),
                              update: Expression(text: "SET visibility = :private REMOVE feed, publicOwner, shareToken",
                                                 values: [":private": .s(Visibility.private.rawValue)]),
                              condition: Expression(text: "attribute_exists(id) AND (visibility <> :private OR attribute_exists(shareToken))"))
        } catch let error as AWSError where error.isConditionFailure {
            // Private already, or deleted meanwhile.
        }
    }

    /// `.conflict` while photos or albums of the user remain (by the usage counters, which
    /// are exact). Purging a purged user is no error.
    public func purgeProfile(userID: String) throws {
        try call {
            if let profile = try db.getItem(tables.profiles, key: ProfileItem.key(userID)).map(ProfileItem.decode) {
                // ≤ 0: photos stored before the counters existed were never counted up, only down.
                let empty = "attribute_not_exists(pk) OR ((attribute_not_exists(images) OR images <= :zero) "
                    + "AND (attribute_not_exists(albums) OR albums <= :zero))"
                do {
                    try db.transactWrite([
                        ["Delete": ["TableName": tables.profiles, "Key": ProfileItem.key(userID).json]],
                        ["Delete": ["TableName": tables.profiles, "Key": ProfileItem.nameKey(profile.username).json,
                                    "ConditionExpression": "attribute_not_exists(pk) OR userID = :user",
                                    "ExpressionAttributeValues": [":user": AttributeValue.s(userID)].json]],
                        ["Delete": ["TableName": tables.profiles, "Key": ProfileItem.usageKey(userID).json,
                                    "ConditionExpression": empty,
                                    "ExpressionAttributeValues": [":zero": AttributeValue.int(0)].json]],
                    ])
                } catch let canceled as TransactionCanceled {
                    if canceled.reasons.count == 3, canceled.reasons[2] == "ConditionalCheckFailed" {
                        throw GalleryError.conflict("The user still has photos or albums.")
                    }
                    throw canceled.error.unavailable
                }
            }
            try metadata.deleteSessions(userID: userID)
        }
    }

    // MARK: Helpers

    private static func equals(_ name: String, _ value: String) -> Expression {
        Expression(text: "#k = :k", names: ["#k": name], values: [":k": .s(value)])
    }

    /// The table ids an index holds under one key (a KEYS_ONLY index of few items).
    private func idsOnIndex(_ table: String, _ index: String, _ name: String, _ value: String) throws -> [String] {
        try db.queryUpTo(100, table, index: index, key: Self.equals(name, value)).map { try $0.string("id") }
    }

    private func imagesByID(_ ids: [String]) throws -> [String: ImageRecord] {
        let images = try db.batchGet(tables.images, keys: Set(ids).map { ["id": .s($0)] }).map(ImageItem.decode)
        return Dictionary(images.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// Every id under one key of an index, a page of 100 at a time.
    private func forEachPage(_ table: String, _ index: String, _ name: String, _ value: String,
                             _ body: ([String]) throws -> Void) throws {
        var start: DynamoItem?
        repeat {
            let page = try db.query(table, index: index, key: Self.equals(name, value), limit: 100, startKey: start)
            try body(try page.items.map { try $0.string("id") })
            start = page.lastEvaluatedKey
        } while start != nil
    }

    /// Runs `body` for every id, 16 at a time; throws the first error once all are done.
    private static func concurrently(_ ids: [String], _ body: @escaping @Sendable (String) throws -> Void) throws {
        let failures = FailureLog()
        let group = DispatchGroup()
        let slots = DispatchSemaphore(value: 16)
        for id in ids {
            slots.wait()
            group.enter()
            DispatchQueue.global().async {
                defer {
                    slots.signal()
                    group.leave()
                }
                do { try body(id) } catch { failures.add(error) }
            }
        }
        group.wait()
        if let first = failures.first { throw first }
    }

    private func call<T>(_ body: () throws -> T) throws -> T {
        try metadata.call(body)
    }
}

/// The errors of concurrent calls.
private final class FailureLog: @unchecked Sendable {  // @unchecked: `errors` is guarded by `lock`
    private let lock = NSLock()
    private var errors: [Error] = []
    func add(_ error: Error) { lock.lock(); errors.append(error); lock.unlock() }
    var first: Error? { lock.lock(); defer { lock.unlock() }; return errors.first }
}
