import Foundation
import GalleryCore

/// Every write of an image item, so that what depends on it stays in step: the search
/// entries (terms table), album memberships and counts, album covers, the avatar, the
/// owner's usage counters.
///
/// Optimistic concurrency: an image item carries `version`; a writer reads the item
/// (consistently), computes the new one and writes it on condition that the version is still
/// the one it read, else reads again (a few times). So a write never undoes another, and
/// "old state → new state" is exact, which is what the dependent items are changed by:
///
/// - Album membership changes are one transaction with the image (its `albums` set), the
///   membership item and the album's `imageCount` (and cover), so counts are exact.
/// - Search entries cannot join such a transaction (an image has up to hundreds of words), so
///   they follow this order: the entries the new state adds are put before the image write
///   (a crash afterwards leaves nothing missing) and again after it (a slower writer of the
///   previous version may have removed them meanwhile); the entries it drops are deleted after
///   the write, and then the writer reads the image again: if another write followed its own,
///   it puts all of that state's entries (its delete may have hit them). Entries that should
///   not exist any more can remain after a crash; every search checks each hit against the
///   image itself, so they cost a read, never a wrong result.
struct ImageWriter {
    let db: DynamoDB
    let tables: DynamoTables

    /// Reads and writes before a writer gives up on an image others keep changing.
    static let attempts = 12

    func get(_ id: String) throws -> ImageItem.Stored? {
        try db.getItem(tables.images, key: ["id": .s(id)]).map(ImageItem.stored)
    }

    // MARK: Create, replace, delete

    /// Puts a new image, its search entries and its bytes in the owner's usage. `.conflict`
    /// for an existing id; `.notFound` while the owner's account is being removed.
    /// `with`: more writes of the same transaction (the image's job).
    func create(_ image: ImageRecord, with more: [[String: Any]] = []) throws {
        let keys = Self.termKeys(image)
        try putEntries(keys, image)
        try putOwned(ImageItem.encode(image, version: 0), into: tables.images, owner: image.ownerID,
                     usage: usageChange(image.ownerID, bytes: image.byteSize, images: 1), what: "An image", with: more)
    }

    /// Replaces the image with `change(current)` (nil: no write). Returns the image as it is
    /// now, or nil when there is none.
    @discardableResult
    func replace(_ id: String, _ change: (ImageRecord) throws -> ImageRecord?) throws -> ImageRecord? {
        for attempt in 0..<Self.attempts {
            guard let old = try get(id) else { return nil }
            guard let new = try change(old.image) else { return old.image }
            let version = old.version + 1
            let oldKeys = Self.termKeys(old.image), newKeys = Self.termKeys(new)
            let added = newKeys.subtracting(oldKeys), dropped = oldKeys.subtracting(newKeys)
            try putEntries(added, new)
            do {
                try db.putItem(tables.images, ImageItem.encode(ImageItem.Stored(image: new, version: version, albums: old.albums)),
                               condition: Self.versionCondition(old.version))
            } catch let error as AWSError where error.isConditionFailure {
                Self.pause(attempt)
                continue
            }
            try putEntries(added, new)
            if !dropped.isEmpty {
                try deleteEntries(dropped, old.image)
                if let now = try get(id), now.version != version { try putEntries(Self.termKeys(now.image), now.image) }
            }
            if AlbumItem.takenKey(new) != AlbumItem.takenKey(old.image) {
                for album in old.albums { try moveInTakenOrder(album: album, image: new, version: version) }
            }
            return new
        }
        throw GalleryError.unavailable("dynamodb: image \(id) kept changing while being written")
    }

    /// Deletes the image with its memberships (album counts and covers follow, in the same
    /// transaction), its usage, its search entries and the avatar that was it.
    func delete(_ id: String) throws -> ImageRecord? {
        for attempt in 0..<Self.attempts {
            guard let old = try get(id) else { return nil }
            let albums = try db.batchGet(tables.albums, keys: old.albums.map(AlbumItem.key)).map(AlbumItem.decode)
            var items: [[String: Any]] = [
                ["Delete": ["TableName": tables.images, "Key": ["id": AttributeValue.s(id)].json,
                            "ConditionExpression": Self.versionCondition(old.version).text,
                            "ExpressionAttributeValues": Self.versionCondition(old.version).values.json]],
                usageChange(old.image.ownerID, bytes: -old.image.byteSize, images: -1),
            ]
            for album in old.albums {
                items.append(["Delete": ["TableName": tables.albumImages,
                                         "Key": AlbumItem.membershipKey(album: album, image: id).json]])
            }
            for album in albums { items.append(countChange(album, by: -1, image: id)) }
            do {
                try db.transactWrite(items)
            } catch let canceled as TransactionCanceled where canceled.reasons.contains("ConditionalCheckFailed") {
                Self.pause(attempt)
                continue  // the image, an album or a cover changed meanwhile: read again
            }
            try deleteEntries(Self.termKeys(old.image, allScopes: true), old.image)
            do {
                try db.updateItem(tables.profiles, key: ProfileItem.key(old.image.ownerID),
                                  update: Expression(text: "REMOVE avatarImageID"),
                                  condition: Expression(text: "avatarImageID = :img", values: [":img": .s(id)]))
            } catch let error as AWSError where error.isConditionFailure {
                // Not the avatar (or no profile): nothing to clear.
            }
            return old.image
        }
        throw GalleryError.unavailable("dynamodb: image \(id) kept changing while being deleted")
    }

    /// For account removal: private, no share link, in one UpdateItem without reading first
    /// (the user's sessions are gone, nothing else writes it). True when it changed.
    @discardableResult
    func makePrivate(_ id: String) throws -> Bool {
        let old: DynamoItem?
        do {
            old = try db.updateItem(
                tables.images, key: ["id": .s(id)],
                update: Expression(text: "SET visibility = :private, version = if_not_exists(version, :zero) + :one REMOVE feed, publicOwner, shareToken",
                                   values: [":private": .s(Visibility.private.rawValue), ":zero": .int(0), ":one": .int(1)]),
                condition: Expression(text: "attribute_exists(id) AND (visibility <> :private OR attribute_exists(shareToken))"),
                returnValues: "ALL_OLD")
        } catch let error as AWSError where error.isConditionFailure {
            return false
        }
        if let old = try old.map(ImageItem.decode), old.visibility == .public {
            try deleteEntries(Set(CatalogRules.terms(of: old).map { Self.publicPrefix + $0 }), old)
        }
        return true
    }

    // MARK: Albums

    /// Adds each image to the album, unless it is in it already. The images must exist and be
    /// the album owner's (`.notFound`) and have room for one more album (`.invalid`), all
    /// checked before the first write.
    func add(_ imageIDs: [String], to album: Album) throws {
        var stored = try Dictionary(db.batchGet(tables.images, keys: imageIDs.map { ["id": .s($0)] }).map {
            let s = try ImageItem.stored($0)
            return (s.image.id, s)
        }, uniquingKeysWith: { a, _ in a })
        for id in imageIDs {
            guard let s = stored[id], s.image.ownerID == album.ownerID else { throw GalleryError.notFound }
            guard s.albums.contains(album.id) || s.albums.count < CatalogRules.maxAlbumsPerImage else {
                throw GalleryError.invalid("A photo can be in at most \(CatalogRules.maxAlbumsPerImage) albums.")
            }
        }
        for id in imageIDs {
            for attempt in 0...Self.attempts {
                guard attempt < Self.attempts else {
                    throw GalleryError.unavailable("dynamodb: image \(id) kept changing while being added to an album")
                }
                guard let s = stored[id] else { throw GalleryError.notFound }  // deleted meanwhile
                if s.albums.contains(album.id) { break }
                guard s.albums.count < CatalogRules.maxAlbumsPerImage else {
                    throw GalleryError.invalid("A photo can be in at most \(CatalogRules.maxAlbumsPerImage) albums.")
                }
                var membership = AlbumItem.membership(album: album.id, image: s.image)
                membership["version"] = .int(s.version + 1)
                let condition = Self.versionCondition(s.version)
                do {
                    try db.transactWrite([
                        ["Update": ["TableName": tables.images, "Key": ["id": AttributeValue.s(id)].json,
                                    "UpdateExpression": "ADD albums :album SET version = :next",
                                    "ConditionExpression": condition.text,
                                    "ExpressionAttributeValues": condition.values.merging(
                                        [":album": .ss([album.id]), ":next": .int(s.version + 1)]) { $1 }.json]],
                        ["Put": ["TableName": tables.albumImages, "Item": membership.json]],
                        ["Update": ["TableName": tables.albums, "Key": AlbumItem.key(album.id).json,
                                    "UpdateExpression": "ADD imageCount :one", "ConditionExpression": "attribute_exists(id)",
                                    "ExpressionAttributeValues": [":one": AttributeValue.int(1)].json]],
                    ])
                    break
                } catch let canceled as TransactionCanceled where canceled.reasons.contains("ConditionalCheckFailed") {
                    if canceled.reasons.count == 3, canceled.reasons[2] == "ConditionalCheckFailed" { throw GalleryError.notFound }
                    Self.pause(attempt)
                    stored[id] = try get(id)
                }
            }
        }
    }

    /// Takes the image out of the album (count and cover follow); absent images and images
    /// not in it are no error.
    func remove(_ id: String, from albumID: String) throws {
        for attempt in 0..<Self.attempts {
            guard let s = try get(id), s.albums.contains(albumID) else { return }
            var items: [[String: Any]] = [
                ["Update": ["TableName": tables.images, "Key": ["id": AttributeValue.s(id)].json,
                            "UpdateExpression": "DELETE albums :album SET version = :next",
                            "ConditionExpression": Self.versionCondition(s.version).text,
                            "ExpressionAttributeValues": Self.versionCondition(s.version).values.merging(
                                [":album": .ss([albumID]), ":next": .int(s.version + 1)]) { $1 }.json]],
                ["Delete": ["TableName": tables.albumImages, "Key": AlbumItem.membershipKey(album: albumID, image: id).json]],
            ]
            if let album = try db.getItem(tables.albums, key: AlbumItem.key(albumID)).map(AlbumItem.decode) {
                items.append(countChange(album, by: -1, image: id))
            }
            do {
                try db.transactWrite(items)
                return
            } catch let canceled as TransactionCanceled where canceled.reasons.contains("ConditionalCheckFailed") {
                Self.pause(attempt)
                continue
            }
        }
        throw GalleryError.unavailable("dynamodb: image \(id) kept changing while being removed from an album")
    }

    /// The album's `imageCount` by `delta`, clearing the cover if it was this image; conditioned
    /// on the album and its cover being as read (else the transaction is tried again).
    private func countChange(_ album: Album, by delta: Int, image: String) -> [String: Any] {
        let isCover = album.coverImageID == image
        return ["Update": [
            "TableName": tables.albums, "Key": AlbumItem.key(album.id).json,
            "UpdateExpression": isCover ? "ADD imageCount :delta REMOVE coverImageID" : "ADD imageCount :delta",
            "ConditionExpression": isCover ? "coverImageID = :img"
                : "attribute_exists(id) AND (attribute_not_exists(coverImageID) OR coverImageID <> :img)",
            "ExpressionAttributeValues": [":delta": AttributeValue.int(delta), ":img": .s(image)].json,
        ]]
    }

    /// A new date taken moves the photo in albums ordered by it. Conditioned on the
    /// membership's version, so a slower writer of an older state cannot undo it.
    private func moveInTakenOrder(album: String, image: ImageRecord, version: Int) throws {
        do {
            try db.updateItem(tables.albumImages, key: AlbumItem.membershipKey(album: album, image: image.id),
                              update: Expression(text: "SET takenKey = :key, version = :v",
                                                 values: [":key": .s(AlbumItem.takenKey(image)), ":v": .int(version)]),
                              condition: Expression(text: "attribute_exists(albumID) AND (attribute_not_exists(version) OR version < :v)"))
        } catch let error as AWSError where error.isConditionFailure {
            // Removed from the album meanwhile, or a newer state is there already.
        }
    }

    // MARK: Usage

    /// ADD to the owner's usage counters (an item of the profiles table, made by the first ADD).
    /// Puts a new item of `owner`'s (its id must be new) in one transaction with its `usage`
    /// change, refused while the owner's account is being removed: `.conflict` for an existing
    /// id ("<what> with this id exists."), `.notFound` for a tombstoned owner.
    func putOwned(_ item: DynamoItem, into table: String, owner: String, usage: [String: Any], what: String,
                  with more: [[String: Any]] = []) throws {
        do {
            try db.transactWrite([
                ["Put": ["TableName": table, "Item": item.json, "ConditionExpression": "attribute_not_exists(id)"]],
                usage,
                ["ConditionCheck": ["TableName": tables.profiles, "Key": ProfileItem.key(owner).json,
                                    "ConditionExpression": "attribute_not_exists(deletedAt)"]],
            ] + more)
        } catch let canceled as TransactionCanceled {
            if canceled.reasons.first == "ConditionalCheckFailed" { throw GalleryError.conflict("\(what) with this id exists.") }
            if canceled.reasons.count >= 3, canceled.reasons[2] == "ConditionalCheckFailed" { throw GalleryError.notFound }
            throw canceled.error.unavailable
        }
    }

    func usageChange(_ owner: String, bytes: Int = 0, images: Int = 0, albums: Int = 0) -> [String: Any] {
        ["Update": ["TableName": tables.profiles, "Key": ProfileItem.usageKey(owner).json,
                    "UpdateExpression": "ADD bytes :bytes, images :images, albums :albums",
                    "ExpressionAttributeValues": [":bytes": AttributeValue.int(bytes), ":images": .int(images),
                                                  ":albums": .int(albums)].json]]
    }

    // MARK: Search entries

    /// The partition keys of an image's search entries: `O#<owner>#<term>` for the owner's
    /// searches, and while public (or always, with `allScopes`, to clean up) `P#<term>`.
    static func termKeys(_ image: ImageRecord, allScopes: Bool = false) -> Set<String> {
        let terms = CatalogRules.terms(of: image)
        var keys = Set(terms.map { ownerPrefix(image.ownerID) + $0 })
        if allScopes || image.visibility == .public { keys.formUnion(terms.map { publicPrefix + $0 }) }
        return keys
    }

    static func ownerPrefix(_ owner: String) -> String { "O#" + owner + "#" }
    static let publicPrefix = "P#"

    private func putEntries(_ keys: Set<String>, _ image: ImageRecord) throws {
        guard !keys.isEmpty else { return }
        let sort = AttributeValue.s(DynamoTime.sortKey(image.createdAt, id: image.id))
        try db.batchPut(tables.terms, items: keys.sorted().map { ["term": .s($0), "sort": sort] })
    }

    private func deleteEntries(_ keys: Set<String>, _ image: ImageRecord) throws {
        guard !keys.isEmpty else { return }
        let sort = AttributeValue.s(DynamoTime.sortKey(image.createdAt, id: image.id))
        try db.batchDelete(tables.terms, keys: keys.sorted().map { ["term": .s($0), "sort": sort] })
    }

    /// Between attempts after losing a race: random and growing (up to 100 ms), so that the
    /// writers who collided do not collide again.
    private static func pause(_ attempt: Int) {
        Thread.sleep(forTimeInterval: Double.random(in: 0...min(0.1, 0.002 * Double(1 << min(attempt, 6)))))
    }

    /// Items written before versions existed have none: version 0.
    static func versionCondition(_ version: Int) -> Expression {
        version == 0
            ? Expression(text: "attribute_exists(id) AND (attribute_not_exists(version) OR version = :version)",
                         values: [":version": .int(0)])
            : Expression(text: "version = :version", values: [":version": .int(version)])
    }
}
