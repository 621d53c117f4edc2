import Foundation
import Logging

/// A log handler that keeps every message, so tests can check what operators would read.
public final class LogRecorder: @unchecked Sendable {  // @unchecked: `lines` is guarded by `lock`
    private let lock = NSLock()
    private var lines: [String] = []

    public init() {}

    public var messages: [String] { lock.withLock { lines } }

    public func contains(_ fragment: String) -> Bool { messages.contains { $0.contains(fragment) } }

    public var logger: Logger {
        Logger(label: "test") { _ in Handler(recorder: self) }
    }

    fileprivate func append(_ line: String) { lock.withLock { lines.append(line) } }

    private struct Handler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            recorder.append("\(event.level) \(event.message) "
                + all.sorted { $0.key < $1.key }.map { "\($0)=\($1)" }.joined(separator: " "))
        }
    }
}
