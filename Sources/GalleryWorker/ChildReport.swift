import Foundation
import GalleryCore

/// What the decoding child leaves in its output folder besides the two WebP files: on success
/// `result.json`, on a refused or undecodable input `error.json`. The file names are fixed by
/// the parent, never read from the child's report.
enum ChildFiles {
    static let thumbnail = "thumbnail.webp"
    static let thumbnail2x = "thumbnail-2x.webp"
    static let preview = "preview.webp"
    /// The original without its position, when `ChildResult.othersOriginal` is `.copy`.
    static let withoutPosition = "without-position"
    static let result = "result.json"
    static let error = "error.json"
    static let stdout = "stdout.txt"
    static let stderr = "stderr.txt"
    /// The exit status of a child that refused its input and wrote `error.json`.
    static let refusedStatus: Int32 = 3
    /// The exit status of a child started with bad arguments (a bug, not the image's fault).
    static let usageStatus: Int32 = 2
}

struct ChildResult: Codable, Equatable {
    struct Size: Codable, Equatable {
        var width: Int
        var height: Int
    }
    var thumbnail: Size
    var preview: Size
    /// Written as `ChildFiles.thumbnail2x` when present.
    var thumbnail2x: Size?
    var placeholder: String?
    var metadata: ChildMetadata?
    var othersOriginal: OthersOriginal

    /// `OriginalForOthers` without the key, which the parent chooses.
    enum OthersOriginal: String, Codable {
        case original, copy, withheld
    }
}

/// A refusal: `reason` is shown to the image's owner, `detail` goes to the job's last error.
struct ChildRefusal: Codable, Equatable, Sendable {
    var reason: String
    var detail: String
}

/// `PhotoMetadata` on the wire (Core's value types stay free of Codable).
struct ChildMetadata: Codable, Equatable {
    var cameraMake: String?
    var cameraModel: String?
    var lens: String?
    var exposureTime: String?
    var fNumber: Double?
    var iso: Int?
    var focalLength: Double?
    var takenAt: Date?
    var latitude: Double?
    var longitude: Double?

    init(_ m: PhotoMetadata) {
        cameraMake = m.cameraMake
        cameraModel = m.cameraModel
        lens = m.lens
        exposureTime = m.exposureTime
        fNumber = m.fNumber
        iso = m.iso
        focalLength = m.focalLength
        takenAt = m.takenAt
        latitude = m.latitude
        longitude = m.longitude
    }

    var value: PhotoMetadata {
        PhotoMetadata(cameraMake: cameraMake, cameraModel: cameraModel, lens: lens,
                      exposureTime: exposureTime, fNumber: fNumber, iso: iso,
                      focalLength: focalLength, takenAt: takenAt,
                      latitude: latitude, longitude: longitude)
    }
}

/// The sentences an owner sees on a failed image. Short, plain, and never a library's message.
public enum FailureReasons {
    public static let notAnImage = "This file is not a JPEG, PNG, GIF or WebP image."
    public static let mismatch = "This file's content does not match its type."
    public static let undecodable = "This file could not be decoded as an image."
    public static let tooLong = "This image took too long to process."
    public static let crashed = "This image could not be processed: decoding it failed."
    public static let tooBigToDecode = "This image needs more memory to process than the server allows."
    public static let missingOriginal = "The original file is missing."
    public static let interrupted = "Processing this image was interrupted too many times."
    public static func tooManyPixels(_ limit: Int) -> String {
        "This image has more than \(limit / 1_000_000) megapixels."
    }
}
