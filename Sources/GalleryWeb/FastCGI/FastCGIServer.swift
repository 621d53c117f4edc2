import CFastCGI
import CoreMetrics
import Foundation
import GalleryHTTP
#if canImport(Glibc)
import Glibc
#endif

/// A threaded FastCGI responder on libfcgi. Each thread loops on `FCGX_Accept_r`; on SIGTERM or
/// SIGINT the server stops accepting, lets every thread finish the request it holds, and
/// returns from `run()`.
public final class FastCGIServer: Sendable {
    public typealias Handler = @Sendable (Request) -> Response

    private let listenAddress: String
    private let threadCount: Int
    private let handler: Handler
    private let stopping = ManagedFlag()
    /// Threads holding a request, against `gallery_fcgi_threads`: when busy stays at the
    /// total, requests queue in nginx and `GALLERY_THREADS` (or responders) should grow.
    private let busy: Meter
    private let total: Gauge

    /// `listen` is a Unix socket path, or `:PORT` / `HOST:PORT` for TCP (libfcgi's syntax).
    public init(listen: String, threads: Int, metricsFactory: MetricsFactory = MetricsSystem.factory,
                handler: @escaping Handler) {
        listenAddress = listen
        threadCount = max(1, threads)
        self.handler = handler
        busy = Meter(label: "gallery_fcgi_busy_threads", factory: metricsFactory)
        total = Gauge(label: "gallery_fcgi_threads", factory: metricsFactory)
    }

    /// Opens the socket, serves until SIGTERM/SIGINT, then drains and returns.
    public func run(onReady: () -> Void = {}) throws {
        guard FCGX_Init() == 0 else { throw GalleryWebError.transport("FCGX_Init failed") }
        // libfcgi installs its own handlers (SIGPIPE ignore, SIGUSR1/SIGTERM → "shutdown
        // pending", which only takes effect at the next accept). Put SIGTERM/SIGINT back to
        // default and block them in every thread: one thread takes them with sigwait and
        // performs an orderly shutdown instead.
        signal(SIGTERM, SIG_DFL)
        signal(SIGINT, SIG_DFL)
        signal(SIGPIPE, SIG_IGN)
        var mask = sigset_t()
        sigemptyset(&mask)
        sigaddset(&mask, SIGTERM)
        sigaddset(&mask, SIGINT)
        pthread_sigmask(SIG_BLOCK, &mask, nil)

        let inherited = Self.inheritedSocket()
        let isUnixSocket = inherited == nil && (listenAddress.hasPrefix("/") || listenAddress.hasPrefix("."))
        if isUnixSocket {
            let dir = (listenAddress as NSString).deletingLastPathComponent
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            unlink(listenAddress)  // a stale socket from a crashed run would make bind fail
        }
        let socket = inherited ?? FCGX_OpenSocket(listenAddress, 1024)
        guard socket >= 0 else { throw GalleryWebError.transport("cannot listen on \(listenAddress)") }
        if isUnixSocket { chmod(listenAddress, 0o660) }  // nginx's group may connect; others not
        Self.installWakeHandler()
        let serving = ThreadList()

        total.record(threadCount)
        busy.set(0)
        let done = DispatchGroup()
        for index in 0..<threadCount {
            done.enter()
            let thread = Thread { [self] in
                serving.add(pthread_self())
                serveLoop(socket: socket, serving: serving)
                serving.remove(pthread_self())
                done.leave()
            }
            thread.name = "fcgi-\(index)"
            thread.stackSize = 1 << 20
            thread.start()
        }
        let waitMask = mask
        let signals = Thread { [self] in
            var sig: Int32 = 0
            var set = waitMask
            sigwait(&set, &sig)
            stopping.set()
            FCGX_ShutdownPending()
            if inherited == nil {
                // Wakes every thread blocked in accept(); they see the flag and leave the loop.
                shutdown(socket, Int32(SHUT_RDWR))
            } else {
                // The socket is shared with the next process (a handover): it must stay open.
                // A signal interrupts each accept() instead (libfcgi gives up on EINTR once
                // shutdown is pending) — only of threads waiting there, never of one serving a
                // request, whose reads and writes it would break; repeated, for a thread that
                // was just about to block.
                while !serving.isEmpty {
                    serving.signalAccepting(SIGUSR2)
                    usleep(50_000)
                }
            }
        }
        signals.start()
        onReady()
        done.wait()
        close(socket)
        if isUnixSocket { unlink(listenAddress) }
    }

    /// The listening socket systemd (or `scripts/supervise`) handed over, by the
    /// socket-activation protocol: `LISTEN_FDS=1` and `LISTEN_PID` this process; it is fd 3.
    static func inheritedSocket() -> Int32? {
        let env = ProcessInfo.processInfo.environment
        guard env["LISTEN_FDS"] == "1", env["LISTEN_PID"] == String(getpid()) else { return nil }
        unsetenv("LISTEN_FDS")  // not for children
        unsetenv("LISTEN_PID")
        return 3
    }

    /// A handler that does nothing but interrupt a blocking call (no SA_RESTART).
    private static func installWakeHandler() {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGUSR2, &action, nil)
    }

    private func serveLoop(socket: Int32, serving: ThreadList) {
        var request = FCGX_Request()
        FCGX_InitRequest(&request, socket, 0)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
        defer { buffer.deallocate() }
        while !stopping.isSet {
            serving.setAccepting(pthread_self(), true)
            let accepted = FCGX_Accept_r(&request)
            serving.setAccepting(pthread_self(), false)
            guard accepted >= 0 else { break }
            busy.increment()
            defer { busy.decrement() }
            let response = respond(to: &request)
            let bytes = response.serialized()
            bytes.withUnsafeBufferPointer { raw in
                raw.withMemoryRebound(to: CChar.self) { chars in
                    _ = FCGX_PutStr(chars.baseAddress, Int32(chars.count), request.out)
                }
            }
            FCGX_Finish_r(&request)
        }
        FCGX_Free(&request, 1)
    }

    private func respond(to request: inout FCGX_Request) -> Response {
        var entries: [String] = []
        if var env = request.envp {
            while let entry = env.pointee {
                entries.append(String(cString: entry))
                env += 1
            }
        }
        let params = CGIParameters.decode(environment: entries)
        let body = FastCGIBody(stream: request.in)
        let response = handler(CGIParameters.request(params, body: body))
        body.drain()  // libfcgi needs stdin consumed before it can finish the request cleanly
        return response
    }
}

/// Reads the FastCGI stdin stream.
final class FastCGIBody: BodySource {
    private let stream: UnsafeMutablePointer<FCGX_Stream>?
    init(stream: UnsafeMutablePointer<FCGX_Stream>?) { self.stream = stream }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard let stream, let base = buffer.baseAddress else { return 0 }
        let n = FCGX_GetStr(base.assumingMemoryBound(to: CChar.self), Int32(buffer.count), stream)
        return max(0, Int(n))
    }

    func drain() {
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 16 * 1024, alignment: 16)
        defer { scratch.deallocate() }
        while read(into: scratch) > 0 {}
    }
}

/// The serving threads still in their loop, and which of them wait in accept(), for the
/// signal thread to interrupt. Signals are sent under the lock a thread takes to say it left
/// accept(), so none lands in a thread that went on to serve a request.
final class ThreadList: @unchecked Sendable {  // @unchecked: `threads` is guarded by `lock`
    private let lock = NSLock()
    private var threads: [(thread: pthread_t, accepting: Bool)] = []
    func add(_ thread: pthread_t) { lock.withLock { threads.append((thread, false)) } }
    func remove(_ thread: pthread_t) { lock.withLock { threads.removeAll { pthread_equal($0.thread, thread) != 0 } } }
    func setAccepting(_ thread: pthread_t, _ accepting: Bool) {
        lock.withLock {
            if let i = threads.firstIndex(where: { pthread_equal($0.thread, thread) != 0 }) { threads[i].accepting = accepting }
        }
    }
    var isEmpty: Bool { lock.withLock { threads.isEmpty } }
    func signalAccepting(_ signal: Int32) {
        lock.withLock { for entry in threads where entry.accepting { pthread_kill(entry.thread, signal) } }
    }
}

/// A flag set once by the signal thread and read by the serving threads.
final class ManagedFlag: @unchecked Sendable {  // @unchecked: `value` is guarded by `lock`
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}

public enum GalleryWebError: Error, CustomStringConvertible {
    case transport(String)
    case templates(String)
    public var description: String {
        switch self {
        case .transport(let m): return "FastCGI: \(m)"
        case .templates(let m): return "templates: \(m)"
        }
    }
}
