import Foundation
import GalleryConformance
import GalleryMoto
import GalleryTestSupport
import Testing

/// What a conformance suite's backends share for the length of the suite: a moto_server,
/// started before the first test and stopped after the last whatever happens in between, and
/// a scratch directory for the embedded backends' files, removed at the end. Test cases find
/// them through `Shared.moto()` and `Shared.scratch(_:)`. The suite must be `.serialized`,
/// since each AWS test case empties moto first.
struct BackendsScope: SuiteTrait, TestScoping {
    var serializedMoto = false
    var isRecursive: Bool { false }

    func provideScope(for test: Test, testCase: Test.Case?,
                      performing function: @Sendable () async throws -> Void) async throws {
        let scratch = try makeTemporaryDirectory("gallery-conformance")
        defer { try? FileManager.default.removeItem(at: scratch) }  // best effort: it is under /tmp
        let server: MotoServer
        do {
            server = try MotoServer(serialized: serializedMoto)
        } catch {
            // Without moto the embedded cases still run; the AWS cases fail with this reason.
            try await Shared.$scratchDirectory.withValue(scratch) {
                try await Shared.$motoFailure.withValue("\(error)") { try await function() }
            }
            return
        }
        defer { server.stop() }
        try await Shared.$scratchDirectory.withValue(scratch) {
            try await Shared.$motoServer.withValue(server) { try await function() }
        }
    }
}

extension SuiteTrait where Self == BackendsScope {
    /// moto_server and a scratch directory for the suite; `serializedMoto` runs moto's requests
    /// one at a time (see `MotoServer`: tests of concurrent conditional writes need it).
    static func backends(serializedMoto: Bool = false) -> Self { BackendsScope(serializedMoto: serializedMoto) }
}

/// What `BackendsScope` shares with the test cases of its suite.
enum Shared {
    @TaskLocal static var motoServer: MotoServer?
    @TaskLocal static var motoFailure: String?
    @TaskLocal static var scratchDirectory: URL?

    /// The suite's moto, emptied for this test case.
    static func moto() throws -> MotoServer {
        guard let motoServer else {
            throw missingTool(motoFailure ?? "no moto_server: the suite needs the .backends() trait")
        }
        try motoServer.reset()
        return motoServer
    }

    /// A new directory for this test case, removed with the suite's scratch directory.
    static func scratch(_ label: String) throws -> URL {
        guard let scratchDirectory else { throw ScopeMissing() }
        let url = scratchDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    struct ScopeMissing: Error, CustomStringConvertible {
        var description: String { "no scratch directory: the suite needs the .backends() trait" }
    }
}
