import Foundation
import GalleryCore

/// A call that failed for good (after its retries): which call, and what AWS or the network
/// said. Stores turn the codes they expect into `GalleryError`s and the rest into
/// `.unavailable(description)`.
public struct AWSError: Error, CustomStringConvertible, Sendable {
    public var service: String
    public var operation: String
    /// 0 when no HTTP answer came (a transport failure).
    public var status: Int
    /// The AWS error code (`ConditionalCheckFailedException`, `NoSuchKey`), or `Transport`.
    public var code: String
    public var message: String
    public var attempts: Int

    public var description: String {
        var text = "\(service) \(operation): \(code)"
        if !message.isEmpty { text += ": \(message)" }
        var notes: [String] = []
        if status > 0 { notes.append("HTTP \(status)") }
        if attempts > 1 { notes.append("\(attempts) attempts") }
        return notes.isEmpty ? text : text + " (" + notes.joined(separator: ", ") + ")"
    }

    public var unavailable: GalleryError { .unavailable(description) }
}

extension Error {
    /// A `GalleryError` as it is; anything else (an `AWSError`) as `.unavailable`.
    var asGalleryError: GalleryError {
        if let error = self as? GalleryError { return error }
        if let error = self as? AWSError { return error.unavailable }
        return .unavailable("\(self)")
    }
}
