import Foundation

/// A helper process a test starts (moto_server, a scripted HTTP server, an SMTP server) and
/// stops. Its output is kept in a file so a failing start can say why.
public final class ChildProcess {
    public let process = Process()
    public let logFile: URL
    private let stdoutPipe = Pipe()

    public init(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws {
        logFile = FileManager.default.temporaryDirectory.appendingPathComponent("gallery-aws-test-\(UUID().uuidString).log")
        guard FileManager.default.createFile(atPath: logFile.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown)
        }
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        process.environment = env
        process.standardOutput = stdoutPipe
        process.standardError = try FileHandle(forWritingTo: logFile)
        // A child inherits the signal mask of the thread that starts it, and the threads of
        // Swift Testing and Dispatch block most signals: started from one, moto_server would
        // ignore the SIGTERM of stop(). Unblock everything for the moment of the spawn.
        var all = sigset_t(), previous = sigset_t()
        sigemptyset(&all)
        pthread_sigmask(SIG_SETMASK, &all, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        try process.run()
    }

    /// The first line the child prints (our scripts print their port), or nil if it died.
    public func firstLine(timeout: TimeInterval = 20) -> String? {
        let handle = stdoutPipe.fileHandleForReading
        var bytes = Data()
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let chunk = handle.availableData
            if chunk.isEmpty { return nil }  // EOF
            bytes.append(chunk)
            if let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) {
                return String(decoding: bytes[..<newline], as: UTF8.self)
            }
        }
        return nil
    }

    public var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    /// SIGTERM, and SIGKILL if the child is still there after 10 s.
    public func stop() {
        if process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        // Best effort: a leftover log in /tmp is harmless.
        try? FileManager.default.removeItem(at: logFile)
    }

    deinit { stop() }
}

/// A loopback port that was free a moment ago (for servers that cannot report their own).
public func freeLoopbackPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
    }
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Writes a script to a temporary file and returns its path.
public func temporaryScript(_ name: String, _ text: String) throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("gallery-\(UUID().uuidString)-\(name)")
    try text.write(to: url, atomically: true, encoding: .utf8)
    return url.path
}

/// An executable found on PATH, for python3 and moto_server wherever pyenv or pip put them.
public func executable(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    for directory in path.split(separator: ":") {
        let candidate = "\(directory)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
}
