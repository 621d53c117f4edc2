import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process started with posix_spawn (vfork-like and safe in a threaded process, unlike
/// fork), in its own process group so a terminal's Ctrl-C reaches only its parent, with default
/// signal dispositions, an empty signal mask and a small environment.
struct ChildProcess {
    enum Termination: Equatable {
        case exited(Int32)
        case signaled(Int32)
        /// Killed by the parent after the wall-clock limit.
        case timedOut
        /// Killed by the parent because the caller asked to stop (lease lost, shutdown).
        case cancelled
    }

    struct SpawnError: Error, CustomStringConvertible {
        var errno: Int32
        var executable: String
        var description: String {
            "could not start \(executable): \(String(cString: strerror(errno)))"
        }
    }

    /// Runs `executable arguments…` with stdout and stderr sent to files, waits for it, and
    /// kills it (SIGKILL to its group) when `timeout` passes or `shouldStop` turns true.
    static func run(executable: String, arguments: [String], stdout: URL, stderr: URL,
                    timeout: TimeInterval, shouldStop: () -> Bool) throws -> Termination {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderr.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        // Descriptors the worker leaked without O_CLOEXEC are closed by the child itself
        // (closefrom) before it reads any input: glibc's addclosefrom_np is not visible to Swift.

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
                                                    | POSIX_SPAWN_SETPGROUP))

        let argv = [executable] + arguments
        let env = ["PATH=/usr/bin:/bin", "LC_ALL=C"]
        var pid = pid_t()
        let rc = withCStrings(argv) { cArgv in
            withCStrings(env) { cEnv in
                posix_spawn(&pid, executable, &actions, &attributes, cArgv, cEnv)
            }
        }
        guard rc == 0 else { throw SpawnError(errno: rc, executable: executable) }
        return wait(pid: pid, timeout: timeout, shouldStop: shouldStop)
    }

    /// Polls with WNOHANG, sleeping 1 ms growing to 10 ms: a child of a few hundred
    /// milliseconds is noticed within a few milliseconds of its end, without a SIGCHLD
    /// handler that would be process-wide.
    private static func wait(pid: pid_t, timeout: TimeInterval, shouldStop: () -> Bool) -> Termination {
        let deadline = Date().addingTimeInterval(timeout)
        var pause: useconds_t = 1000
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { return decode(status) }
            if r < 0 && errno != EINTR {
                // Only possible if someone else reaped it; nothing more can be learnt.
                return .signaled(0)
            }
            let stop = shouldStop()
            if stop || Date() >= deadline {
                kill(-pid, SIGKILL)
                kill(pid, SIGKILL)
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                return stop ? .cancelled : .timedOut
            }
            usleep(pause)
            pause = min(pause * 2, 10_000)
        }
    }

    /// WIFEXITED and friends are macros Swift cannot see.
    private static func decode(_ status: Int32) -> Termination {
        let signal = status & 0x7f
        return signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
    }

    private static func withCStrings<R>(_ strings: [String],
                                        _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        pointers.append(nil)
        defer { pointers.forEach { free($0) } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}

/// A readable name for a signal in failure details.
func signalName(_ signal: Int32) -> String {
    switch signal {
    case SIGKILL: return "SIGKILL"
    case SIGSEGV: return "SIGSEGV"
    case SIGABRT: return "SIGABRT"
    case SIGBUS: return "SIGBUS"
    case SIGILL: return "SIGILL"
    case SIGTRAP: return "SIGTRAP"
    case SIGFPE: return "SIGFPE"
    case SIGXCPU: return "SIGXCPU"
    case SIGXFSZ: return "SIGXFSZ"
    case SIGTERM: return "SIGTERM"
    default: return "signal \(signal)"
    }
}
