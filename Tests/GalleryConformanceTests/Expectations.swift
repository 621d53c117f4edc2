import Foundation
import GalleryConformance
import GalleryCore
import Testing

/// Records an issue unless `body` throws a `GalleryError` of the same case as `expected`
/// (messages are the backend's own).
func expectThrows<T>(_ expected: GalleryError, _ comment: Comment? = nil,
                     sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> T) {
    do {
        _ = try body()
        Issue.record("expected \(expected), nothing thrown. \(comment?.rawValue ?? "")", sourceLocation: sourceLocation)
    } catch let error as GalleryError {
        #expect(sameCase(error, expected), "expected \(expected), got \(error). \(comment?.rawValue ?? "")",
                sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected \(expected), got \(error). \(comment?.rawValue ?? "")", sourceLocation: sourceLocation)
    }
}

/// A check that `backend` cannot pass for a reason outside the gallery (moto's limits): it
/// still runs there, and must fail, recorded as a known issue with the reason. When the
/// reason no longer holds the check passes, and that fails the test ("known issue was not
/// recorded"), so the excuse is removed rather than forgotten.
func excused<Backend: Equatable>(on excusedBackend: Backend, _ reason: Comment, running backend: Backend,
                                 _ check: () throws -> Void) throws {
    if backend == excusedBackend {
        withKnownIssue(reason) { try check() }
    } else {
        try check()
    }
}

/// Backends keep times to the millisecond: equal when within one.
func expectSameMillisecond(_ a: Date?, _ b: Date?, _ comment: Comment? = nil,
                           sourceLocation: SourceLocation = #_sourceLocation) {
    guard let a, let b else {
        #expect(a == nil && b == nil, "\(String(describing: a)) ≠ \(String(describing: b)). \(comment?.rawValue ?? "")",
                sourceLocation: sourceLocation)
        return
    }
    #expect(abs(a.timeIntervalSince1970 - b.timeIntervalSince1970) <= 0.001, "\(a) ≠ \(b). \(comment?.rawValue ?? "")",
            sourceLocation: sourceLocation)
}
