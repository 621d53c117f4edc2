import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// SIGTERM and SIGINT delivered synchronously to one thread. `block()` must run before any
/// other thread starts (threads inherit the mask), so no thread is ever interrupted by them;
/// the decoding children get an empty mask and default dispositions from posix_spawn.
public enum TerminationSignals {
    public static func block() {
        var set = signals()
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Waits for SIGTERM or SIGINT and returns which.
    public static func wait() -> Int32 {
        var set = signals()
        var received: Int32 = 0
        while sigwait(&set, &received) != 0 {}
        return received
    }

    private static func signals() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        return set
    }
}
