import Foundation
import GalleryCore
import GalleryCrypto
import ImageInspection
import Logging

/// A file someone sent, already on disk (the front end streamed it there and hashed it).
public struct IncomingFile: Sendable, Equatable {
    /// For display only; may be empty; never a path.
    public var filename: String
    public var file: URL
    public var byteSize: Int
    /// SHA-256 of the content, lowercase hex.
    public var sha256: String
    /// The first bytes, for magic-byte sniffing.
    public var head: [UInt8]

    public init(filename: String, file: URL, byteSize: Int, sha256: String, head: [UInt8]) {
        self.filename = filename
        self.file = file
        self.byteSize = byteSize
        self.sha256 = sha256
        self.head = head
    }
}

/// A file that is an image we accept, with what its header says.
public struct CheckedPhoto: Sendable, Equatable {
    public var file: IncomingFile
    public var header: ImageHeaderInfo
}

/// Storing uploads: every file is checked by content, the same bytes are not stored twice, the
/// quota holds, and either every new photo of a request is stored — original, record and job —
/// or nothing of it is left behind.
public struct Uploads: Sendable {
    let stores: Stores
    let settings: UseCases.Settings
    let removal: ImageRemoval
    let logger: Logger

    /// One file refused, with the reason in words for the person who sent it.
    public struct Refusal: Error, Equatable, Sendable {
        public var filename: String
        public var reason: String
        public var message: String { "\(filename.isEmpty ? "A file" : filename): \(reason)" }
    }

    /// Type from magic bytes only; dimensions from the header, before anything decodes it.
    public func check(_ file: IncomingFile) -> Result<CheckedPhoto, Refusal> {
        func refuse(_ reason: String) -> Result<CheckedPhoto, Refusal> {
            .failure(Refusal(filename: file.filename, reason: reason))
        }
        switch ImageSniffer.sniff(file.head) {
        case .supported:
            break
        case .unsupported(let kind):
            return refuse("\(kind) files are not supported. Upload JPEG, PNG, GIF or WebP.")
        case .unknown:
            return refuse("this is not an image we can read. Upload JPEG, PNG, GIF or WebP.")
        }
        let info: ImageHeaderInfo
        do {
            info = try ImageHeader.read(file: file.file)
        } catch GalleryError.invalid(let message) {
            return refuse(message)
        } catch {
            return refuse("the image header could not be read.")
        }
        if info.width * info.height > settings.maxPixels {
            return refuse("\(info.width)×\(info.height) is more than \(settings.maxPixels / 1_000_000) megapixels.")
        }
        return .success(CheckedPhoto(file: file, header: info))
    }

    /// What an upload did.
    public struct Outcome: Sendable {
        /// The new photos, with the key of each encrypted one (shown once, kept nowhere).
        public var stored: [(image: ImageRecord, key: String?)]
        public var duplicates: [Duplicate]
    }

    /// A file not stored because its bytes are already there.
    public struct Duplicate: Sendable, Equatable {
        public var filename: String
        /// The photo already holding these bytes; nil when it is another file of this upload.
        public var existing: ImageRecord?
    }

    /// How the photos of one upload are kept.
    public enum Protection: Sendable, Equatable {
        /// Stored as sent, with the visibility given, and thumbnailed.
        case plain(Visibility)
        /// "Encrypt with a key only I keep": stored as a Fernet token under a new key per photo
        /// that is returned once; private, no thumbnails (the server cannot see it).
        case encrypted
    }

    public func store(_ photos: [CheckedPhoto], owner: Profile, protection: Protection) throws -> Outcome {
        var fresh: [CheckedPhoto] = []
        var duplicates: [Duplicate] = []
        for photo in photos {
            if let existing = try stores.catalog.image(ownerID: owner.userID, sha256: photo.file.sha256) {
                duplicates.append(Duplicate(filename: photo.file.filename, existing: existing))
            } else if fresh.contains(where: { $0.file.sha256 == photo.file.sha256 }) {
                duplicates.append(Duplicate(filename: photo.file.filename, existing: nil))
            } else {
                fresh.append(photo)
            }
        }
        try checkQuota(owner, adding: fresh.map(\.file))
        var stored: [(image: ImageRecord, key: String?)] = []
        do {
            for photo in fresh {
                switch protection {
                case .plain(let visibility):
                    stored.append((try storePlain(photo, owner: owner, visibility: visibility), nil))
                    CrashPoint.photoStored.reached()
                case .encrypted:
                    let (image, key) = try storeEncrypted(photo, owner: owner)
                    stored.append((image, key))
                }
            }
        } catch {
            for item in stored { removal.undo(item.image) }
            throw error
        }
        logger.info("user \(owner.userID) uploaded \(stored.count) image(s), \(duplicates.count) duplicate(s)")
        return Outcome(stored: stored, duplicates: duplicates)
    }

    /// The profile picture: one photo, stored like any (private, thumbnailed by the worker).
    public func setAvatar(_ photo: CheckedPhoto, owner: Profile) throws -> Profile {
        try checkQuota(owner, adding: [photo.file])
        let image = try storePlain(photo, owner: owner, visibility: .private, title: "Profile picture")
        var profile = owner
        profile.avatarImageID = image.id
        do {
            try stores.catalog.updateProfileDetails(profile)
        } catch {
            removal.undo(image)
            throw error
        }
        return profile
    }

    private func checkQuota(_ owner: Profile, adding files: [IncomingFile]) throws {
        let usage = try stores.catalog.usage(ownerID: owner.userID)
        let bytes = files.reduce(0) { $0 + $1.byteSize }
        if usage.images + files.count > settings.quotaImages {
            throw GalleryError.tooLarge("Your gallery may hold \(settings.quotaImages) photos; you have \(usage.images). Nothing was uploaded.")
        }
        if usage.bytes + bytes > settings.quotaBytes {
            throw GalleryError.tooLarge("Your gallery may hold \(ByteCount.text(settings.quotaBytes)); you use \(ByteCount.text(usage.bytes)) and this upload is \(ByteCount.text(bytes)). Nothing was uploaded.")
        }
    }

    private func newImage(_ photo: CheckedPhoto, owner: Profile, originalKey: (String) -> String,
                          status: ImageStatus, visibility: Visibility, encrypted: Bool) -> ImageRecord {
        let now = Date()
        let id = Identifiers.make(now: now)
        let info = photo.header
        return ImageRecord(id: id, ownerID: owner.userID, ownerUsername: owner.username,
                           status: status, visibility: visibility, format: info.format,
                           originalFilename: photo.file.filename.isEmpty ? "photo.\(info.format.fileExtension)" : photo.file.filename,
                           byteSize: photo.file.byteSize, width: info.width, height: info.height,
                           sha256: photo.file.sha256, originalKey: originalKey(id), createdAt: now, encrypted: encrypted)
    }

    /// The original (durable), then record and thumbnail job together (`ImageIntake`); a
    /// failed write takes the original back.
    private func storePlain(_ photo: CheckedPhoto, owner: Profile, visibility: Visibility,
                            title: String = "") throws -> ImageRecord {
        let format = photo.header.format
        var image = newImage(photo, owner: owner,
                             originalKey: { BlobKeys.original(imageID: $0, fileExtension: format.fileExtension) },
                             status: .processing, visibility: visibility, encrypted: false)
        image.title = title
        try persist(image, file: photo.file.file, contentType: format.mimeType) {
            try stores.intake.putImage(image, queueing: .image(image.id), availableAt: image.createdAt)
        }
        return image
    }

    private func storeEncrypted(_ photo: CheckedPhoto, owner: Profile) throws -> (ImageRecord, String) {
        let key = Fernet.generateKey()
        let image = newImage(photo, owner: owner, originalKey: { BlobKeys.encryptedOriginal(imageID: $0) },
                             status: .ready, visibility: .private, encrypted: true)
        let token = settings.temporaryDirectory.appendingPathComponent("\(image.id).fernet")
        defer { try? FileManager.default.removeItem(at: token) }  // a temporary file; absent if encryption failed
        try Fernet.encrypt(file: photo.file.file, to: token, key: key)
        try persist(image, file: token, contentType: "application/octet-stream")
        return (image, key)
    }

    /// The original's bytes, then its record (by `record`, default a plain put); a record that
    /// fails takes the bytes back with it.
    private func persist(_ image: ImageRecord, file: URL, contentType: String,
                         record: (() throws -> Void)? = nil) throws {
        try stores.blobs.put(key: image.originalKey, file: file, contentType: contentType)
        CrashPoint.originalStored.reached()
        do {
            if let record { try record() } else { try stores.metadata.putImage(image) }
        } catch {
            do {
                try stores.blobs.delete(keys: [image.originalKey])
            } catch let cleanup {
                logger.error("original \(image.originalKey) left behind for the sweep: \(cleanup)")
            }
            throw error
        }
    }
}
