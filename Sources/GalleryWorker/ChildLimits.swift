import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The confinement the decoding child puts on itself before it reads a byte of its input.
struct ChildLimits: Equatable {
    var addressSpaceBytes: Int
    var cpuSeconds: Int
    var fileSizeBytes: Int

    /// Address space, CPU time (SIGXCPU at the soft limit, SIGKILL a second later), size of
    /// any file written, no core dumps (a crashing decoder must not fill the disk with the
    /// image's pixels), and few descriptors.
    func apply() throws {
        try set(RLIMIT_CORE, soft: 0)
        try set(RLIMIT_AS, soft: rlim_t(addressSpaceBytes))
        try set(RLIMIT_CPU, soft: rlim_t(cpuSeconds), hard: rlim_t(cpuSeconds + 1))
        try set(RLIMIT_FSIZE, soft: rlim_t(fileSizeBytes))
        try set(RLIMIT_NOFILE, soft: 32)
    }

    private func set(_ resource: __rlimit_resource, soft: rlim_t, hard: rlim_t? = nil) throws {
        var limit = rlimit(rlim_cur: soft, rlim_max: hard ?? soft)
        guard setrlimit(__rlimit_resource_t(resource.rawValue), &limit) == 0 else {
            throw ChildUsageError("setrlimit(\(resource.rawValue)) failed: \(String(cString: strerror(errno)))")
        }
    }
}

struct ChildUsageError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
