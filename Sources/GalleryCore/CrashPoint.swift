import Foundation

/// Named instants in the write paths where the fault-injection tests kill the process
/// (`Tests/EndToEnd/test_crash_points.py`): in debug builds, `GALLERY_CRASH_AT=<name>` makes
/// the process SIGKILL itself on reaching that point, exactly as an outside kill -9 would, but
/// deterministically. Release builds compile every point to nothing.
public enum CrashPoint: String, CaseIterable, Sendable {
    /// Upload: the original is stored, its record and job are not.
    case originalStored = "upload.original-stored"
    /// Upload: one photo of a request is whole (original, record, job), the next is not begun.
    case photoStored = "upload.photo-stored"
    /// File blob store: a blob's temporary file is written and synced, not yet renamed.
    case blobBeforeRename = "blob.before-rename"
    /// Worker: the derivatives are stored, the image is not marked ready.
    case derivativesStored = "worker.derivatives-stored"
    /// Worker: the image is ready, its job is not completed.
    case imageReady = "worker.image-ready"

    #if DEBUG
    private static let armed = ProcessInfo.processInfo.environment["GALLERY_CRASH_AT"].flatMap(CrashPoint.init(rawValue:))
    #endif

    /// Kills the process here if this point is armed (debug builds only).
    @inline(__always)
    public func reached() {
        #if DEBUG
        if Self.armed == self {
            FileHandle.standardError.write(Data("crash point \(rawValue) reached: SIGKILL\n".utf8))
            kill(getpid(), SIGKILL)
        }
        #endif
    }
}
