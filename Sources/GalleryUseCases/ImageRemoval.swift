import GalleryCore
import Logging

/// Deleting a photo, in one order for every caller (its page, bulk delete, an album deleted
/// with its photos, the account removal job): the record first — from that instant nobody is
/// served the photo — then every blob it may have (the original, the derivatives the record
/// names and the fixed derivative keys, in case a worker wrote them after the record was read).
/// A crash or a storage failure in between leaves only unreachable blobs, which
/// `gallery blobs sweep` removes; a removal retried after its record went deletes the blobs
/// again (deleting an absent key is no error).
public struct ImageRemoval: Sendable {
    let stores: Stores
    let logger: Logger

    public init(stores: Stores, logger: Logger) {
        self.stores = stores
        self.logger = logger
    }

    /// The keys of every blob `image` may have: its original, the derivatives its record names,
    /// and the fixed keys of older versions (derivatives of claims that lost, or crashed before
    /// the record named them, are the sweep's).
    public static func blobKeys(of image: ImageRecord) -> [String] {
        var keys = image.namedBlobKeys
        for key in DerivativeKeys(imageID: image.id).all where !keys.contains(key) { keys.append(key) }
        return keys
    }

    /// Removes the photo. Throws only when its record could not be deleted; blobs left by a
    /// failed delete are logged and left to the sweep (the photo is gone for everyone already).
    public func remove(_ image: ImageRecord) throws {
        let removed = try stores.metadata.deleteImage(id: image.id) ?? image
        let keys = Self.blobKeys(of: removed)
        do {
            try stores.blobs.delete(keys: keys)
        } catch {
            logger.error("image \(image.id) deleted but its blobs were not: \(error); the sweep will remove them",
                         metadata: ["keys": "\(keys)"])
        }
    }

    /// Removes what an upload had stored when a later step of the same request failed.
    func undo(_ image: ImageRecord) {
        do {
            try remove(image)
        } catch {
            logger.error("could not undo upload of image \(image.id): \(error)")
        }
    }
}
