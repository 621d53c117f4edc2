import Foundation
import GalleryCore
import Logging

/// The application: every use case of the gallery between the storage seams and the front
/// ends (web pages, the worker, the admin command). Front ends parse their input, call one of
/// these and render the result; the rules — who may see what, what a share link changes, how a
/// photo is stored and removed — live here and nowhere else.
public struct UseCases: Sendable {
    public let stores: Stores
    public let settings: Settings
    public let logger: Logger

    /// The limits and places the use cases need from `Configuration`.
    public struct Settings: Sendable {
        public var maxPixels: Int
        public var quotaBytes: Int
        public var quotaImages: Int
        /// Where uploads and encrypted copies are staged (same file system as the uploads).
        public var temporaryDirectory: URL

        public init(maxPixels: Int, quotaBytes: Int, quotaImages: Int, temporaryDirectory: URL) {
            self.maxPixels = maxPixels
            self.quotaBytes = quotaBytes
            self.quotaImages = quotaImages
            self.temporaryDirectory = temporaryDirectory
        }

        public init(_ config: Configuration) {
            self.init(maxPixels: config.maxPixels, quotaBytes: config.quotaBytes, quotaImages: config.quotaImages,
                      temporaryDirectory: config.temporaryDirectory)
        }
    }

    public init(stores: Stores, settings: Settings, logger: Logger = Logger(label: "gallery.app")) {
        self.stores = stores
        self.settings = settings
        self.logger = logger
    }

    public var access: Access { Access(stores: stores) }
    public var listings: Listings { Listings(stores: stores, access: access) }
    public var media: Media { Media(stores: stores, access: access) }
    public var uploads: Uploads { Uploads(stores: stores, settings: settings, removal: removal, logger: logger) }
    public var removal: ImageRemoval { ImageRemoval(stores: stores, logger: logger) }
    public var photos: Photos { Photos(stores: stores, access: access, removal: removal) }
    public var albums: Albums { Albums(stores: stores, access: access, removal: removal) }
    public var accounts: Accounts { Accounts(stores: stores, logger: logger) }
    public var throttles: Throttles { Throttles(store: stores.metadata) }
    public var accountRemoval: AccountRemoval { AccountRemoval(stores: stores, removal: removal, logger: logger) }
    public var reconciler: Reconciler { Reconciler(stores: stores, logger: logger) }
}
