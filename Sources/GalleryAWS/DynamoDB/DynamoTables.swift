import Foundation

/// The tables, their keys and indexes: the single description both the stores and
/// `gallery setup` use. Every list a request makes is a Query on one of these keys.
public struct DynamoTables: Sendable {
    public let prefix: String

    public init(prefix: String) {
        self.prefix = prefix
    }

    /// `USER#<id>` holds a profile, `NAME#<lower-case username>` reserves the name (both are
    /// written in one transaction, so a username is unique whatever its case), `USAGE#<id>`
    /// counts the user's bytes, photos and albums (kept by the writes that change them, in
    /// the same transaction, so quotas never read every image).
    public var profiles: String { prefix + "profiles" }
    /// One item per session, keyed by the hash of the cookie; `byUser` finds a user's sessions
    /// for sign-out everywhere; `ttl` lets DynamoDB delete expired ones (lazily: reads check).
    public var sessions: String { prefix + "sessions" }
    /// One item per image; `byOwner` lists an owner's images newest first; `publicFeed` is a
    /// sparse index of the public ones (only they carry `feed`), `publicByOwner` of one
    /// owner's public ones (only they carry `publicOwner`); `bySHA256` finds duplicates
    /// (`ownerSHA` = owner#sha256) and `byShareToken` share links (both KEYS_ONLY: the item
    /// itself is then read consistently, so a revoked link is dead at once).
    public var images: String { prefix + "images" }
    /// One item per album, with the same kind of indexes as images (`byOwner`,
    /// `publicByOwner`, `publicFeed`, `byShareToken`).
    public var albums: String { prefix + "albums" }
    /// Album memberships: key (albumID, imageID); the local indexes `newest` and `taken` give
    /// an album's photos in either order with consistent reads. The image item lists its
    /// albums too (`albums`, a string set), so both sides change in one transaction.
    public var albumImages: String { prefix + "album-images" }
    /// The search index (see DynamoCatalogStore): key (term, sort) with term =
    /// `O#<owner>#<kind>:<word>` or `P#<kind>:<word>` and sort = the image's createdKey.
    public var terms: String { prefix + "terms" }
    /// One item per job. `claimable` is a sparse, sharded index (`queue` = `QUEUE#0…N-1`, set
    /// while queued or running) ordered by `due` (available-at, or lease end): claimers read
    /// candidates there and a conditional UpdateItem decides who wins. `byStatus`
    /// (`<status>#<shard>`) serves operator lists and counts; `ttl` expires done jobs.
    public var jobs: String { prefix + "jobs" }

    public var all: [String] { [profiles, sessions, images, jobs, albums, albumImages, terms] }

    static let sessionsByUser = "byUser"
    static let imagesByOwner = "byOwner"
    static let publicFeed = "publicFeed"
    static let publicByOwner = "publicByOwner"
    static let imagesBySHA256 = "bySHA256"
    static let byShareToken = "byShareToken"
    static let albumsByOwner = "byOwner"
    static let albumNewest = "newest"
    static let albumTaken = "taken"
    static let claimable = "claimable"
    static let jobsByStatus = "byStatus"
    static let ttlAttribute = "ttl"

    /// What `gallery setup` creates.
    struct TableSpec {
        var name: String
        var key: String
        var range: String? = nil
        var attributes: [(String, String)]
        var indexes: [IndexSpec]
        /// Local indexes share the table's partition key; they exist only from CreateTable on.
        var localIndexes: [IndexSpec] = []
        var ttl: Bool
    }

    struct IndexSpec {
        var name: String
        var hash: String
        var range: String?
        /// KEYS_ONLY when the index only finds items to delete; ALL when it serves pages.
        var projection: String
    }

    var specs: [TableSpec] {
        [
            TableSpec(name: profiles, key: "pk", attributes: [("pk", "S")], indexes: [], ttl: false),
            TableSpec(name: sessions, key: "idHash", attributes: [("idHash", "S"), ("userID", "S")],
                      indexes: [IndexSpec(name: Self.sessionsByUser, hash: "userID", range: nil, projection: "KEYS_ONLY")],
                      ttl: true),
            TableSpec(name: images, key: "id",
                      attributes: [("id", "S"), ("ownerID", "S"), ("createdKey", "S"), ("feed", "S"), ("publicOwner", "S"),
                                   ("ownerSHA", "S"), ("shareToken", "S")],
                      indexes: [IndexSpec(name: Self.imagesByOwner, hash: "ownerID", range: "createdKey", projection: "ALL"),
                                IndexSpec(name: Self.publicFeed, hash: "feed", range: "createdKey", projection: "ALL"),
                                IndexSpec(name: Self.publicByOwner, hash: "publicOwner", range: "createdKey", projection: "ALL"),
                                IndexSpec(name: Self.imagesBySHA256, hash: "ownerSHA", range: nil, projection: "KEYS_ONLY"),
                                IndexSpec(name: Self.byShareToken, hash: "shareToken", range: nil, projection: "KEYS_ONLY")],
                      ttl: false),
            TableSpec(name: albums, key: "id",
                      attributes: [("id", "S"), ("ownerID", "S"), ("createdKey", "S"), ("feed", "S"), ("publicOwner", "S"),
                                   ("shareToken", "S")],
                      indexes: [IndexSpec(name: Self.albumsByOwner, hash: "ownerID", range: "createdKey", projection: "ALL"),
                                IndexSpec(name: Self.publicFeed, hash: "feed", range: "createdKey", projection: "ALL"),
                                IndexSpec(name: Self.publicByOwner, hash: "publicOwner", range: "createdKey", projection: "ALL"),
                                IndexSpec(name: Self.byShareToken, hash: "shareToken", range: nil, projection: "KEYS_ONLY")],
                      ttl: false),
            TableSpec(name: albumImages, key: "albumID", range: "imageID",
                      attributes: [("albumID", "S"), ("imageID", "S"), ("newestKey", "S"), ("takenKey", "S")],
                      indexes: [],
                      localIndexes: [IndexSpec(name: Self.albumNewest, hash: "albumID", range: "newestKey", projection: "KEYS_ONLY"),
                                     IndexSpec(name: Self.albumTaken, hash: "albumID", range: "takenKey", projection: "KEYS_ONLY")],
                      ttl: false),
            TableSpec(name: terms, key: "term", range: "sort", attributes: [("term", "S"), ("sort", "S")], indexes: [],
                      ttl: false),
            TableSpec(name: jobs, key: "id",
                      attributes: [("id", "S"), ("queue", "S"), ("due", "N"), ("statusKey", "S"), ("createdKey", "S")],
                      indexes: [IndexSpec(name: Self.claimable, hash: "queue", range: "due", projection: "ALL"),
                                IndexSpec(name: Self.jobsByStatus, hash: "statusKey", range: "createdKey", projection: "ALL")],
                      ttl: true),
        ]
    }
}
