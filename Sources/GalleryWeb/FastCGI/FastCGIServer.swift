import CFastCGI
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

    /// `listen` is a Unix socket path, or `:PORT` / `HOST:PORT` for TCP (libfcgi's syntax).
    public init(listen: String, threads: Int, handler: @escaping Handler) {
        listenAddress = listen
        threadCount = max(1, threads)
        self.handler = handler
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

        let isUnixSocket = listenAddress.hasPrefix("/") || listenAddress.hasPrefix(".")
        if isUnixSocket {
            let dir = (listenAddress as NSString).deletingLastPathComponent
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            unlink(listenAddress)  // a stale socket from a crashed run would make bind fail
        }
        let socket = FCGX_OpenSocket(listenAddress, 1024)
        guard socket >= 0 else { throw GalleryWebError.transport("cannot listen on \(listenAddress)") }
        if isUnixSocket { chmod(listenAddress, 0o660) }  // nginx's group may connect; others not

        let done = DispatchGroup()
        for index in 0..<threadCount {
            done.enter()
            let thread = Thread { [self] in
                serveLoop(socket: socket)
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
            // Wakes every thread blocked in accept(); they see the flag and leave the loop.
            shutdown(socket, Int32(SHUT_RDWR))
        }
        signals.start()
        onReady()
        done.wait()
        close(socket)
        if isUnixSocket { unlink(listenAddress) }
    }

    private func serveLoop(socket: Int32) {
        var request = FCGX_Request()
        FCGX_InitRequest(&request, socket, 0)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
        defer { buffer.deallocate() }
        while !stopping.isSet {
            guard FCGX_Accept_r(&request) >= 0 else { break }
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
