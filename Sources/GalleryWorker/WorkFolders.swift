import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// Each job works in `<work dir>/<pid>-<job>-<random>`, removed when the job ends. A worker
/// killed with SIGKILL cannot remove its folders, so a starting worker removes those whose
/// process is gone (the work directory is local, so pids are comparable).
enum WorkFolders {
    static func removeOrphans(in directory: URL, logger: Logger) {
        let fm = FileManager.default
        do {
            try fm.createDirectory(at: directory, withIntermediateDirectories: true)
            for name in try fm.contentsOfDirectory(atPath: directory.path) {
                guard let pid = pid_t(name.prefix { $0 != "-" }), pid > 0,
                      kill(pid, 0) != 0 && errno == ESRCH else { continue }
                try fm.removeItem(at: directory.appendingPathComponent(name))
                logger.info("removed the work folder of a dead worker", metadata: ["folder": "\(name)"])
            }
        } catch {
            // Not fatal: each job makes its own folder and gives the job back if it cannot.
            logger.error("cannot tidy the work directory", metadata: ["path": "\(directory.path)", "error": "\(error)"])
        }
    }
}
