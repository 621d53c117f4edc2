import Foundation

/// The tables, their keys and indexes: the single description both the stores and
/// `gallery setup` use. Every list a request makes is a Query on one of these keys.
public struct DynamoTables: Sendable {
    public let prefix: String

    public init(prefix: String) {
        self.prefix = prefix
    }

    /// `USER#<id>` holds a profile, `NAME#<lower-case username>` reserves the name (both are
    /// written in one transaction, so a username is unique whatever its case).
    public var profiles: String { prefix + "profiles" }
    /// One item per session, keyed by the hash of the cookie; `byUser` finds a user's sessions
    /// for sign-out everywhere; `ttl` lets DynamoDB delete expired ones (lazily: reads check).
    public var sessions: String { prefix + "sessions" }
    /// One item per image; `byOwner` lists an owner's images newest first; `publicFeed` is a
    /// sparse index of the public ones (only they carry `feed`).
    public var images: String { prefix + "images" }
    /// One item per job. `claimable` is a sparse, sharded index (`queue` = `QUEUE#0…N-1`, set
    /// while queued or running) ordered by `due` (available-at, or lease end): claimers read
    /// candidates there and a conditional UpdateItem decides who wins. `byStatus`
    /// (`<status>#<shard>`) serves operator lists and counts; `ttl` expires done jobs.
    public var jobs: String { prefix + "jobs" }

    public var all: [String] { [profiles, sessions, images, jobs] }

    static let sessionsByUser = "byUser"
    static let imagesByOwner = "byOwner"
    static let publicFeed = "publicFeed"
    static let claimable = "claimable"
    static let jobsByStatus = "byStatus"
    static let ttlAttribute = "ttl"

    /// What `gallery setup` creates.
    struct TableSpec {
        var name: String
        var key: String
        var attributes: [(String, String)]
        var indexes: [IndexSpec]
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
                      attributes: [("id", "S"), ("ownerID", "S"), ("createdKey", "S"), ("feed", "S")],
                      indexes: [IndexSpec(name: Self.imagesByOwner, hash: "ownerID", range: "createdKey", projection: "ALL"),
                                IndexSpec(name: Self.publicFeed, hash: "feed", range: "createdKey", projection: "ALL")],
                      ttl: false),
            TableSpec(name: jobs, key: "id",
                      attributes: [("id", "S"), ("queue", "S"), ("due", "N"), ("statusKey", "S"), ("createdKey", "S")],
                      indexes: [IndexSpec(name: Self.claimable, hash: "queue", range: "due", projection: "ALL"),
                                IndexSpec(name: Self.jobsByStatus, hash: "statusKey", range: "createdKey", projection: "ALL")],
                      ttl: true),
        ]
    }
}
