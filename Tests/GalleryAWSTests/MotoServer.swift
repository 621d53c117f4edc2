import Foundation
@testable import GalleryAWS
import GalleryCurl
import XCTest

/// `moto_server` on a free loopback port, for one test class. `reset()` empties every service
/// between tests.
///
/// `serialized` runs moto's same application one request at a time. moto_server handles
/// requests on concurrent threads without a lock, so two conditional UpdateItems on one item
/// can both succeed (checked with boto3: 6 threads, 40 items, 42 wins) — which DynamoDB
/// never allows. Tests of concurrent claims need the serialized server to mean anything.
final class MotoServer {
    let child: ChildProcess?
    let port: Int
    var url: String { "http://127.0.0.1:\(port)" }

    init(environment: [String: String] = [:], serialized: Bool = false) throws {
        // A server someone else started and serializes (Tests/EndToEnd/test_cloudformation.py
        // runs the DynamoDB suites on tables made by moto's CloudFormation that way).
        if let external = ProcessInfo.processInfo.environment["GALLERY_TEST_MOTO_URL"], !external.isEmpty,
           environment.isEmpty {
            guard let port = URLComponents(string: external)?.port else {
                throw NSError(domain: "MotoServer", code: 3, userInfo: [NSLocalizedDescriptionKey: "GALLERY_TEST_MOTO_URL needs a port"])
            }
            self.child = nil
            self.port = port
            return
        }
        if serialized {
            guard let python = executable("python3") else { throw XCTSkip("python3 is not installed") }
            let child = try ChildProcess(python, [try temporaryScript("moto_serialized.py", Self.serializedSource)],
                                         environment: environment)
            guard let line = child.firstLine(), let port = Int(line), Self.waitUntilReady(port: port, child: child) else {
                throw NSError(domain: "MotoServer", code: 2, userInfo: [NSLocalizedDescriptionKey: "serialized moto did not start: \(child.log)"])
            }
            self.child = child
            self.port = port
            return
        }
        guard let moto = executable("moto_server") else { throw XCTSkip("moto_server is not installed (pip install 'moto[server]')") }
        var lastLog = ""
        for _ in 0..<3 {  // the port was free a moment ago; another process may take it first
            let port = freeLoopbackPort()
            let child = try ChildProcess(moto, ["-H", "127.0.0.1", "-p", String(port)], environment: environment)
            if Self.waitUntilReady(port: port, child: child) {
                self.child = child
                self.port = port
                return
            }
            lastLog = child.log
            child.stop()
        }
        throw NSError(domain: "MotoServer", code: 1, userInfo: [NSLocalizedDescriptionKey: "moto_server did not start: \(lastLog)"])
    }

    private static func waitUntilReady(port: Int, child: ChildProcess) -> Bool {
        let http = HTTPClient(connectTimeout: 1, timeout: 2)
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, child.process.isRunning {
            if let response = try? http.send(HTTPRequest(method: "GET", url: "http://127.0.0.1:\(port)/moto-api/")),
               response.status == 200 {
                return true
            }
            usleep(100_000)
        }
        return false
    }

    func reset() throws {
        let response = try HTTPClient().send(HTTPRequest(method: "POST", url: url + "/moto-api/reset"))
        XCTAssertEqual(response.status, 200, "moto reset")
    }

    /// A client for every service of this server, with fast retries for tests.
    func client(credentials: AWSCredentials = AWSCredentials(accessKeyID: "AKIAMOTOTEST", secretAccessKey: "moto-secret"),
                region: String = "eu-central-1", maxAttempts: Int = 3) throws -> AWSClient {
        let endpoint = try AWSEndpoint(url: url)
        return AWSClient(configuration: AWSConfiguration(
            region: region, credentials: StaticCredentialsProvider(credentials),
            endpointOverrides: Dictionary(uniqueKeysWithValues: AWSService.all.map { ($0, endpoint) }),
            retry: RetryPolicy(maxAttempts: maxAttempts, baseDelay: 0.01, throttlingBaseDelay: 0.02, maxDelay: 0.1),
            connectTimeout: 2, timeout: 30))
    }

    func stop() { child?.stop() }

    /// moto's own WSGI application behind one lock, on a port the OS picks.
    static let serializedSource = #"""
import sys, threading
from werkzeug.serving import make_server
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

app = DomainDispatcherApplication(create_backend_app)
lock = threading.Lock()

def serialized(environ, start_response):
    with lock:
        return list(app(environ, start_response))

server = make_server("127.0.0.1", 0, serialized, threaded=True)
print(server.server_port, flush=True)
server.serve_forever()
"""#
}

/// One moto server per test class: started in `setUp()` of the first test, stopped in the
/// class's `tearDown()`.
class MotoTestCase: XCTestCase {
    // XCTest runs a class's tests and its class tearDown one after another on one thread.
    nonisolated(unsafe) private static var servers: [ObjectIdentifier: MotoServer] = [:]
    nonisolated(unsafe) private static var failures: [ObjectIdentifier: Error] = [:]

    /// Classes whose tests race conditional writes override this (see `MotoServer`).
    class var serializedMoto: Bool { false }

    var moto: MotoServer {
        get throws {
            let id = ObjectIdentifier(type(of: self))
            if let server = Self.servers[id] { return server }
            if let failure = Self.failures[id] { throw failure }
            do {
                let server = try MotoServer(serialized: Self.serializedMoto)
                Self.servers[id] = server
                return server
            } catch {
                Self.failures[id] = error
                throw error
            }
        }
    }

    override class func tearDown() {
        servers.removeValue(forKey: ObjectIdentifier(self))?.stop()
        failures.removeValue(forKey: ObjectIdentifier(self))
        super.tearDown()
    }
}
