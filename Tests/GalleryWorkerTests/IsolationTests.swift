import Foundation
import GalleryCore
import ImageInspection
import XCTest
@testable import GalleryWorker

/// The decoding child, run as the worker runs it.
final class IsolationTests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws {
        try requireWorkerBinary()
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("isolation-\(Identifiers.make())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: scratch) // test scratch
    }

    private func thumbnailer(_ adjust: (inout IsolationSettings) -> Void = { _ in }) -> IsolatedThumbnailer {
        var isolation = IsolationSettings(executable: workerBinary, timeout: 30)
        adjust(&isolation)
        return IsolatedThumbnailer(settings: ThumbnailSettings(thumbnailSize: 320, previewSize: 1280, quality: 80),
                                   isolation: isolation)
    }

    private func run(_ t: IsolatedThumbnailer, _ file: URL, format: ImageFormat = .jpeg,
                     shouldStop: @escaping () -> Bool = { false }) throws -> IsolatedThumbnailer.Attempt {
        try t.run(input: file, format: format, outDirectory: scratch.appendingPathComponent(Identifiers.make()),
                  shouldStop: shouldStop)
    }

    func testARealPhotoGivesWebPDerivativesOfTheRightSize() throws {
        guard case .made(let made) = try run(thumbnailer(), bigPhoto) else {
            return XCTFail("expected derivatives")
        }
        let original = try ImageHeader.read(file: bigPhoto)
        for (file, size, edge) in [(made.thumbnail, made.result.thumbnail, 320), (made.preview, made.result.preview, 1280)] {
            let header = try ImageHeader.read(file: file)
            XCTAssertEqual(header.format, .webp)
            XCTAssertEqual(header.width, size.width)
            XCTAssertEqual(header.height, size.height)
            XCTAssertEqual(max(size.width, size.height), edge)
            // Same shape as the original (which has no rotating orientation).
            let ratio = Double(original.width) / Double(original.height)
            XCTAssertEqual(Double(size.width) / Double(size.height), ratio, accuracy: 0.02)
        }
        XCTAssert(made.result.placeholder?.hasPrefix("data:image/") ?? true)
    }

    func testANonImageIsRefusedBeforeAnyDecoder() throws {
        let text = scratch.appendingPathComponent("notes.jpg")
        try Data("<html><script>alert(1)</script></html>".utf8).write(to: text)
        guard case .failed(let reason, _) = try run(thumbnailer(), text) else { return XCTFail("expected a refusal") }
        XCTAssertEqual(reason, FailureReasons.notAnImage)
    }

    func testContentOfAnotherTypeThanRecordedIsRefused() throws {
        guard case .failed(let reason, let detail) = try run(thumbnailer(), photo("photos/formats/density_plot.png"),
                                                             format: .jpeg) else {
            return XCTFail("expected a refusal")
        }
        XCTAssertEqual(reason, FailureReasons.mismatch, detail)
    }

    func testAHeaderThatClaimsTooManyPixelsIsRefusedUnread() throws {
        let liar = scratch.appendingPathComponent("liar.jpg")
        try lyingJPEG(width: 60_000, height: 60_000).write(to: liar)
        guard case .failed(let reason, let detail) = try run(thumbnailer(), liar) else { return XCTFail("expected a refusal") }
        XCTAssertEqual(reason, FailureReasons.tooManyPixels(50_000_000), detail)
    }

    func testAChildOverItsWallClockIsKilled() throws {
        let started = Date()
        guard case .failed(let reason, let detail) = try run(thumbnailer { $0.timeout = 0.05 }, bigPhoto) else {
            return XCTFail("expected a timeout")
        }
        XCTAssertEqual(reason, FailureReasons.tooLong, detail)
        XCTAssertLessThan(Date().timeIntervalSince(started), 1)
    }

    func testAChildOverItsMemoryLimitFailsOnlyThatAttempt() throws {
        // 49 megapixels, under the pixel limit, need ~200 MB once decoded on top of ~200 MB of
        // address space for the runtime: 320 MB is not enough, 1 GiB is.
        let bomb = scratch.appendingPathComponent("black.png")
        try blackPNG(width: 7000, height: 7000).write(to: bomb)
        let tight: (inout IsolationSettings) -> Void = { $0.addressSpaceBytes = 320 << 20 }
        guard case .failed(let reason, let detail) = try run(thumbnailer(tight), bomb, format: .png) else {
            return XCTFail("expected a failure")
        }
        XCTAssert(exhaustionReasons.contains(reason), "\(reason) \(detail)")
        // …while the same limit is fine for a photo, and for a smaller PNG made the same way
        // (so the bomb fails for its size, not for being malformed).
        guard case .made = try run(thumbnailer(tight), naturePhotos[0]) else {
            return XCTFail("a small photo should fit the limit")
        }
        let small = scratch.appendingPathComponent("small.png")
        try blackPNG(width: 700, height: 500).write(to: small)
        guard case .made(let made) = try run(thumbnailer(tight), small, format: .png) else {
            return XCTFail("a small generated PNG should decode")
        }
        XCTAssertEqual([made.result.preview.width, made.result.preview.height], [700, 500])
    }

    func testStoppingKillsTheChild() throws {
        let started = Date()
        let attempt = try run(thumbnailer(), bigPhoto, shouldStop: { Date().timeIntervalSince(started) > 0.05 })
        guard case .cancelled = attempt else { return XCTFail("expected cancelled, got \(attempt)") }
        XCTAssertLessThan(Date().timeIntervalSince(started), 1)
    }

    func testTheChildStopsWhenItsParentDies() throws {
        // sh starts the child as its own, then exits: re-parented, the child must stop at once
        // instead of decoding on for nobody.
        let out = scratch.appendingPathComponent("orphan")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let pidFile = scratch.appendingPathComponent("pid")
        let arguments = ThumbnailChild.arguments(for: .init(
            parent: 0, input: bigPhoto, outDirectory: out, format: .jpeg, thumbnails: ThumbnailSettings(),
            limits: ChildLimits(addressSpaceBytes: 1 << 30, cpuSeconds: 30, fileSizeBytes: 64 << 20)))
        let quoted = ([workerBinary.path] + arguments).map { $0 == "0" ? "$$" : "'\($0)'" }.joined(separator: " ")
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = ["-c", "\(quoted) & echo $! > '\(pidFile.path)'; sleep 0.1"]
        try shell.run()
        shell.waitUntilExit()
        let pid = try XCTUnwrap(pid_t(String(decoding: try Data(contentsOf: pidFile), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        XCTAssert(eventually(timeout: 0.5) { !isRunning(pid) }, "orphaned child \(pid) still running")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent(ChildFiles.result).path))
    }
}

/// Alive and not a zombie (an orphan's new parent may be slow to reap it).
func isRunning(_ pid: pid_t) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), // gone: not running
          let close = stat.lastIndex(of: ")") else { return false }
    let state = stat[stat.index(close, offsetBy: 2)]
    return state != "Z" && state != "X"
}

/// What the owner may read when the decoder ran out of memory: depending on where the
/// allocation failed, libgd reports it, or the runtime traps.
let exhaustionReasons = [FailureReasons.tooBigToDecode, FailureReasons.crashed, FailureReasons.undecodable]
