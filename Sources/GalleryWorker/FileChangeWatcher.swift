import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Calls `onChange` when any of `files` changes mtime, size or inode, checked by stat every
/// `interval`. For the embedded backend this turns a commit to the SQLite database (its WAL
/// grows or is rewritten) into an immediate poll, so an upload to an idle worker waits
/// milliseconds, not a poll period. A stat is about a microsecond; missing files are fine.
final class FileChangeWatcher: @unchecked Sendable {  // @unchecked: `stopped` is guarded by `lock`
    private let files: [String]
    private let interval: TimeInterval
    private let onChange: @Sendable () -> Void
    private let lock = NSLock()
    private var stopped = false

    init(files: [URL], interval: TimeInterval, onChange: @escaping @Sendable () -> Void) {
        self.files = files.map(\.path)
        self.interval = interval
        self.onChange = onChange
    }

    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "wake-watcher"
        thread.start()
    }

    func stop() { lock.withLock { stopped = true } }

    private struct Signature: Equatable {
        var inode: UInt64
        var size: Int64
        var seconds: Int
        var nanoseconds: Int
    }

    private func signatures() -> [Signature?] {
        files.map { path in
            var s = stat()
            guard stat(path, &s) == 0 else { return nil }
            return Signature(inode: UInt64(s.st_ino), size: Int64(s.st_size),
                             seconds: Int(s.st_mtim.tv_sec), nanoseconds: Int(s.st_mtim.tv_nsec))
        }
    }

    private func run() {
        var last = signatures()
        while !lock.withLock({ stopped }) {
            Thread.sleep(forTimeInterval: interval)
            let now = signatures()
            if now != last {
                last = now
                onChange()
            }
        }
    }
}
