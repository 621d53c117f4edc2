import Foundation
import GalleryCore
import Logging

/// The account removal job's work, a page at a time so that the worker can check its lease
/// between steps: every photo (with `ImageRemoval`, the one order), every album, then the
/// profile. Each step is idempotent, so an attempt cut short is simply run again.
public struct AccountRemoval: Sendable {
    let stores: Stores
    let removal: ImageRemoval
    let logger: Logger

    public init(stores: Stores, removal: ImageRemoval, logger: Logger) {
        self.stores = stores
        self.removal = removal
        self.logger = logger
    }

    public static let pageSize = 50

    /// Only a tombstoned account is purged: a job queued by mistake must not erase a live one.
    public func isMarkedDeleted(userID: String) throws -> Bool {
        guard let profile = try stores.metadata.profile(userID: userID) else { return true }  // purged already
        return profile.deletedAt != nil
    }

    /// Removes up to a page of the user's photos; returns how many (0: none left).
    public func removeImages(userID: String, previous: inout Set<String>) throws -> Int {
        let page = try stores.metadata.images(ownerID: userID, cursor: nil, limit: Self.pageSize)
        let ids = Set(page.items.map(\.id))
        guard ids.isDisjoint(with: previous) else {
            throw GalleryError.unavailable("images of \(userID) still listed after their deletion")
        }
        previous = ids
        for image in page.items { try removal.remove(image) }
        return page.items.count
    }

    /// Removes up to a page of the user's albums; returns how many (0: none left).
    public func removeAlbums(userID: String, previous: inout Set<String>) throws -> Int {
        let page = try stores.catalog.albums(scope: .owner(userID), cursor: nil, limit: Self.pageSize)
        let ids = Set(page.items.map(\.id))
        guard ids.isDisjoint(with: previous) else {
            throw GalleryError.unavailable("albums of \(userID) still listed after their deletion")
        }
        previous = ids
        for album in page.items { try stores.catalog.deleteAlbum(id: album.id) }
        return page.items.count
    }

    /// The last step, once nothing else of the user is left.
    public func removeProfile(userID: String) throws {
        try stores.catalog.purgeProfile(userID: userID)
    }
}
