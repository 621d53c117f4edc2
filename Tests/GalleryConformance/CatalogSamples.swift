import Foundation
import GalleryCore

/// Sample records of the catalog's conformance suite, for it and for a backend's own tests.
public enum CatalogSamples {
    public static func image(_ id: String, owner: String, at: Date) -> ImageRecord {
        ImageRecord(id: id, ownerID: owner, ownerUsername: "user-\(owner)", status: .processing, visibility: .public,
                    format: .jpeg, originalFilename: "\(id).jpg", byteSize: 100_000, width: 800, height: 600,
                    sha256: String(repeating: "ab", count: 32), originalKey: "originals/\(id).jpg", createdAt: at)
    }

    public static func derivatives(_ id: String, make: String? = nil, model: String? = nil, taken: Date? = nil) -> ImageDerivatives {
        ImageDerivatives(thumbnail: Derivative(key: "thumbs/\(id).webp", width: 320, height: 240, byteSize: 9000),
                         preview: Derivative(key: "previews/\(id).webp", width: 1280, height: 960, byteSize: 90_000),
                         metadata: PhotoMetadata(cameraMake: make, cameraModel: model, takenAt: taken))
    }

    public static func album(_ id: String, owner: String, at: Date) -> Album {
        Album(id: id, ownerID: owner, ownerUsername: "user-\(owner)", title: "Album \(id)", createdAt: at, updatedAt: at)
    }

    public static func profile(_ username: String) -> Profile {
        Profile(userID: UUID().uuidString.lowercased(), username: username, email: "\(username)@example.com",
                displayName: username.capitalized, createdAt: wholeMilliseconds())
    }
}
