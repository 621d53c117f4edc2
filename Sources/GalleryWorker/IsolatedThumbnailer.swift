import Foundation
import GalleryCore
import ImageInspection
#if canImport(Glibc)
import Glibc
#endif

/// The parent's side of the decoding child: runs it on a downloaded original, then reads and
/// checks what it left behind. The child handles untrusted bytes with C decoders, so its
/// report is treated as untrusted too: sizes are bounded, files must be WebP, and names are
/// the parent's.
struct IsolatedThumbnailer {
    let settings: ThumbnailSettings
    let isolation: IsolationSettings
    var metrics = WorkerMetrics()

    struct Made {
        var thumbnail: URL
        var preview: URL
        var result: ChildResult
        /// The original without its position, when the result says `.copy`.
        var withoutPosition: URL?
    }

    enum Attempt {
        case made(Made)
        /// The image is at fault (or may be): `reason` for its owner, `detail` for the logs.
        case failed(reason: String, detail: String)
        /// Stopped because the caller asked (lease lost, shutdown): nothing to record.
        case cancelled
    }

    /// Throws `ChildProcess.SpawnError` when the child cannot be started at all (the worker's
    /// fault, not the image's).
    func run(input: URL, format: ImageFormat, outDirectory: URL,
             shouldStop: () -> Bool) throws -> Attempt {
        try FileManager.default.createDirectory(at: outDirectory, withIntermediateDirectories: true)
        let request = ThumbnailChild.Request(
            parent: getpid(), input: input, outDirectory: outDirectory, format: format, thumbnails: settings,
            limits: ChildLimits(addressSpaceBytes: isolation.addressSpaceBytes,
                                cpuSeconds: isolation.cpuSeconds,
                                fileSizeBytes: isolation.fileSizeBytes))
        let stderr = outDirectory.appendingPathComponent(ChildFiles.stderr)
        let started = ContinuousClock.now
        let termination: ChildProcess.Termination
        do {
            termination = try ChildProcess.run(
                executable: isolation.executable.path, arguments: ThumbnailChild.arguments(for: request),
                stdout: outDirectory.appendingPathComponent(ChildFiles.stdout), stderr: stderr,
                timeout: isolation.timeout, shouldStop: shouldStop)
        } catch {
            metrics.childExited(.spawnFailed, after: ContinuousClock.now - started)
            throw error
        }
        let (attempt, cause) = interpret(termination, outDirectory: outDirectory, input: input, format: format)
        metrics.childExited(cause, after: ContinuousClock.now - started)
        return attempt
    }

    private func interpret(_ termination: ChildProcess.Termination, outDirectory: URL, input: URL,
                           format: ImageFormat) -> (Attempt, ChildExit) {
        let stderr = outDirectory.appendingPathComponent(ChildFiles.stderr)
        switch termination {
        case .cancelled:
            return (.cancelled, .cancelled)
        case .timedOut:
            return (.failed(reason: FailureReasons.tooLong,
                            detail: "decoder killed after \(Int(isolation.timeout)) s wall clock"), .timeout)
        case .signaled(SIGXCPU):
            return (.failed(reason: FailureReasons.tooLong,
                            detail: "decoder exceeded \(isolation.cpuSeconds) s of CPU (SIGXCPU)"), .cpuLimit)
        case .signaled(let signal):
            return (.failed(reason: FailureReasons.crashed,
                            detail: "decoder died of \(signalName(signal))\(tail(of: stderr))"),
                    signal == SIGXFSZ ? .fileSizeLimit : .crash)
        case .exited(0):
            let attempt = validated(outDirectory, input: input, format: format)
            if case .made = attempt { return (attempt, .ok) }
            return (attempt, .badOutput)
        case .exited(ChildFiles.refusedStatus):
            guard let refusal = read(ChildRefusal.self, outDirectory.appendingPathComponent(ChildFiles.error)),
                  refusal.reason.count <= 200 else {
                return (.failed(reason: FailureReasons.crashed, detail: "decoder refused without a readable report"),
                        .badOutput)
            }
            return (.failed(reason: refusal.reason, detail: String(refusal.detail.prefix(500))),
                    refusal.reason == FailureReasons.tooBigToDecode ? .memoryLimit : .badImage)
        case .exited(let status):
            return (.failed(reason: FailureReasons.crashed,
                            detail: "decoder exited with status \(status)\(tail(of: stderr))"), .crash)
        }
    }

    private func validated(_ directory: URL, input: URL, format: ImageFormat) -> Attempt {
        let thumbnail = directory.appendingPathComponent(ChildFiles.thumbnail)
        let preview = directory.appendingPathComponent(ChildFiles.preview)
        guard let result = read(ChildResult.self, directory.appendingPathComponent(ChildFiles.result)) else {
            return .failed(reason: FailureReasons.crashed, detail: "decoder exited 0 without a readable result")
        }
        let bounds = [(result.thumbnail, settings.thumbnailSize), (result.preview, settings.previewSize)]
        guard bounds.allSatisfy({ (1...$1).contains($0.width) && (1...$1).contains($0.height) }),
              isWebP(thumbnail), isWebP(preview),
              (result.placeholder ?? "data:image/").hasPrefix("data:image/"),
              (result.placeholder?.utf8.count ?? 0) <= 16_384 else {
            return .failed(reason: FailureReasons.crashed, detail: "decoder's output failed validation")
        }
        var withoutPosition: URL?
        if result.othersOriginal == .copy {
            // Only removing bytes or zeroing them: never larger, and still the same format.
            let copy = directory.appendingPathComponent(ChildFiles.withoutPosition)
            guard let copySize = fileSize(copy), let inputSize = fileSize(input), copySize <= inputSize,
                  startsLike(copy, format) else {
                return .failed(reason: FailureReasons.crashed, detail: "decoder's copy without position failed validation")
            }
            withoutPosition = copy
        }
        return .made(Made(thumbnail: thumbnail, preview: preview, result: result, withoutPosition: withoutPosition))
    }

    private func fileSize(_ file: URL) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: file.path)[.size]) as? Int // missing: the caller refuses
    }

    private func startsLike(_ file: URL, _ format: ImageFormat) -> Bool {
        guard let handle = try? FileHandle(forReadingFrom: file) else { return false }
        defer { try? handle.close() } // read-only: a failed close loses nothing
        guard let head = try? handle.read(upToCount: ImageSniffer.headLength) else { return false }
        return ImageSniffer.sniff([UInt8](head)) == .supported(format)
    }

    private func read<T: Decodable>(_ type: T.Type, _ file: URL) -> T? {
        guard let size = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size]) as? Int,
              size <= 64 * 1024,
              let data = FileManager.default.contents(atPath: file.path) else { return nil }
        return try? JSONDecoder().decode(type, from: data) // unreadable is reported by the caller
    }

    private func isWebP(_ file: URL) -> Bool {
        guard let handle = try? FileHandle(forReadingFrom: file) else { return false }
        defer { try? handle.close() } // read-only: a failed close loses nothing
        guard let head = try? handle.read(upToCount: 12), head.count == 12 else { return false }
        return head.prefix(4) == Data("RIFF".utf8) && head.suffix(4) == Data("WEBP".utf8)
    }

    /// The end of the child's stderr, for the job's last error.
    private func tail(of file: URL) -> String {
        guard let data = FileManager.default.contents(atPath: file.path), !data.isEmpty else { return "" }
        let text = String(decoding: data.suffix(300), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "" : ": " + text
    }
}
