import Foundation
import GalleryCrypto
import GalleryCurl
import XCTest

final class HTTPClientTests: XCTestCase {
    // Set in the class setUp, read by tests that XCTest runs one after another.
    nonisolated(unsafe) static var server: ScriptedHTTPServer!

    override class func setUp() {
        super.setUp()
        server = try? ScriptedHTTPServer()
    }

    override class func tearDown() {
        server?.stop()
        server = nil
        super.tearDown()
    }

    private var server: ScriptedHTTPServer {
        get throws {
            guard let s = Self.server else { throw XCTSkip("the scripted HTTP server did not start") }
            return s
        }
    }

    private func decoded(_ response: HTTPResponse) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: response.body) as? [String: Any])
    }

    func testBytesBodyHeadersAndStatus() throws {
        let client = HTTPClient()
        let body = Data("hello, wire".utf8)
        let response = try client.send(HTTPRequest(
            method: "POST", url: try server.baseURL + "/echo?a=1",
            headers: [("X-Custom", "value 1"), ("Content-Type", "text/plain")], body: .bytes(body)))
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.header("x-echo"), "yes")
        let echo = try decoded(response)
        XCTAssertEqual(echo["method"] as? String, "POST")
        XCTAssertEqual(echo["path"] as? String, "/echo?a=1")
        XCTAssertEqual(echo["length"] as? Int, body.count)
        XCTAssertEqual(echo["sha256"] as? String, SHA256.hex(body))
        let headers = try XCTUnwrap(echo["headers"] as? [String: String])
        XCTAssertEqual(headers["x-custom"], "value 1")
        XCTAssertEqual(headers["content-type"], "text/plain")
        XCTAssertNil(headers["expect"])
    }

    func testMethodsWithoutBody() throws {
        let client = HTTPClient()
        for method in ["GET", "DELETE", "PUT", "POST"] {
            let response = try client.send(HTTPRequest(method: method, url: try server.baseURL + "/echo"))
            let echo = try decoded(response)
            XCTAssertEqual(echo["method"] as? String, method)
            XCTAssertEqual(echo["length"] as? Int, 0)
            let headers = try XCTUnwrap(echo["headers"] as? [String: String])
            // POST would otherwise be labelled a form by libcurl.
            XCTAssertNil(headers["content-type"], method)
        }
        let head = try client.send(HTTPRequest(method: "HEAD", url: try server.baseURL + "/echo"))
        XCTAssertEqual(head.status, 200)
        XCTAssertTrue(head.body.isEmpty)
    }

    func testStreamsAFileRegionUpAndABodyDownToAFile() throws {
        let photo = try TestData.photo()
        let bytes = try Data(contentsOf: photo)
        let client = HTTPClient()
        // A region in the middle, as a multipart upload sends it.
        let range = 1000..<(bytes.count - 500)
        let response = try client.send(HTTPRequest(
            method: "PUT", url: try server.baseURL + "/echo",
            body: .file(photo, offset: Int64(range.lowerBound), length: Int64(range.count))))
        let echo = try decoded(response)
        XCTAssertEqual(echo["length"] as? Int, range.count)
        XCTAssertEqual(echo["sha256"] as? String, SHA256.hex(bytes[range]))

        let whole = try decoded(client.send(HTTPRequest(method: "PUT", url: try server.baseURL + "/echo", body: .file(photo))))
        XCTAssertEqual(whole["sha256"] as? String, SHA256.hex(bytes))

        let target = FileManager.default.temporaryDirectory.appendingPathComponent("download-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: target) }  // cleanup only
        let size = 3 * 1024 * 1024 + 17
        let download = try client.send(HTTPRequest(method: "GET", url: try server.baseURL + "/bytes/\(size)"),
                                       responseBodyTo: target)
        XCTAssertEqual(download.status, 200)
        XCTAssertTrue(download.body.isEmpty)
        let written = try Data(contentsOf: target)
        XCTAssertEqual(written.count, size)
        XCTAssertEqual(written.prefix(300), Data((0..<300).map { UInt8($0 % 251) }))

        // An error body stays in memory; the file is left empty.
        let missing = try client.send(HTTPRequest(method: "GET", url: try server.baseURL + "/nothing"), responseBodyTo: target)
        XCTAssertEqual(missing.status, 404)
        XCTAssertEqual(String(decoding: missing.body, as: UTF8.self), "no route")
        XCTAssertEqual(try Data(contentsOf: target).count, 0)
    }

    func testAFileShorterThanAnnouncedIsRefused() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("short-\(UUID().uuidString)")
        try Data(repeating: 7, count: 100).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }  // cleanup only
        XCTAssertThrowsError(try HTTPClient().send(HTTPRequest(
            method: "PUT", url: try server.baseURL + "/echo", body: .file(file, offset: 50, length: 80)))) {
            XCTAssertTrue($0 is TransportError, "\($0)")
        }
    }

    func testConnectionsAreReusedPerThread() throws {
        let client = HTTPClient()
        var ports = Set<Int>()
        for _ in 0..<5 {
            ports.insert(try decoded(client.send(HTTPRequest(method: "GET", url: try server.baseURL + "/echo")))["client_port"] as! Int)
        }
        XCTAssertEqual(ports.count, 1, "one kept-alive connection for one thread")

        // Another thread has its own handle, so its own connection.
        let url = try server.baseURL + "/echo"
        final class Box: @unchecked Sendable { var port: Int?; var error: Error? }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        Thread {
            do {
                let response = try client.send(HTTPRequest(method: "GET", url: url))
                box.port = (try JSONSerialization.jsonObject(with: response.body) as? [String: Any])?["client_port"] as? Int
            } catch {
                box.error = error
            }
            done.signal()
        }.start()
        done.wait()
        XCTAssertNil(box.error)
        XCTAssertNotNil(box.port)
        XCTAssertFalse(ports.contains(box.port ?? -1))
    }

    func testTimeoutsAndRefusedConnections() throws {
        let client = HTTPClient(connectTimeout: 2, timeout: 0.5)
        let started = Date()
        XCTAssertThrowsError(try client.send(HTTPRequest(method: "GET", url: try server.baseURL + "/slow/3"))) {
            XCTAssertTrue(($0 as? TransportError)?.isTimeout == true, "\($0)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 2.5)
        // A per-request timeout overrides the client's.
        let late = try client.send(HTTPRequest(method: "GET", url: try server.baseURL + "/slow/0.8", timeout: 5))
        XCTAssertEqual(String(decoding: late.body, as: UTF8.self), "late")

        let closed = freeLoopbackPort()
        XCTAssertThrowsError(try client.send(HTTPRequest(method: "GET", url: "http://127.0.0.1:\(closed)/"))) {
            XCTAssertTrue($0 is TransportError, "\($0)")
        }
    }

    func testOnlyHTTPSchemes() throws {
        XCTAssertThrowsError(try HTTPClient().send(HTTPRequest(method: "GET", url: "file:///etc/passwd")))
    }
}
