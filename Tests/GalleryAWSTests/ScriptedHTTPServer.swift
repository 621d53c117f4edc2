import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import GalleryMoto
import GalleryTestSupport
import XCTest

/// A small HTTP/1.1 server in Python with keep-alive, for what moto cannot play: answers
/// scripted per route (errors then success, delays), an echo of what arrived, and a log of
/// every request (with the client's port, to see connection reuse). IMDS is faked with it too.
final class ScriptedHTTPServer {
    let child: ChildProcess
    let port: Int
    var baseURL: String { "http://127.0.0.1:\(port)" }

    struct Response: Encodable {
        var status: Int
        var headers: [String: String] = [:]
        var body: String = ""
        var delay: Double = 0
    }

    struct LoggedRequest: Decodable {
        var method: String
        var path: String
        var headers: [String: String]
        var body: String
        var clientPort: Int
        enum CodingKeys: String, CodingKey {
            case method, path, headers, body
            case clientPort = "client_port"
        }
    }

    init() throws {
        guard let python = executable("python3") else { throw missingTool("python3 is not installed") }
        let script = try temporaryScript("scripted_http.py", Self.source)
        child = try ChildProcess(python, [script])
        guard let line = child.firstLine(), let port = Int(line) else {
            throw NSError(domain: "ScriptedHTTPServer", code: 1,
                          userInfo: [NSLocalizedDescriptionKey: "server did not start: \(child.log)"])
        }
        self.port = port
    }

    /// Answers for `method path` in order; the last one repeats.
    func route(_ method: String, _ path: String, _ responses: [Response]) throws {
        struct Route: Encodable { var method: String; var path: String; var responses: [Response] }
        _ = try control("POST", "/_control/route", JSONEncoder().encode(Route(method: method, path: path, responses: responses)))
    }

    func requests() throws -> [LoggedRequest] {
        try JSONDecoder().decode([LoggedRequest].self, from: control("GET", "/_control/log", nil))
    }

    private func control(_ method: String, _ path: String, _ body: Data?) throws -> Data {
        var request = URLRequest(url: URL(string: baseURL + path)!)
        request.httpMethod = method
        request.httpBody = body
        return try Self.fetch(request)
    }

    /// Control calls go through Foundation's own loader, not the client under test.
    private static func fetch(_ request: URLRequest) throws -> Data {
        final class Box: @unchecked Sendable { var result: Result<Data, Error> = .success(Data()) }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        URLSession.shared.dataTask(with: request) { data, _, error in
            box.result = error.map { .failure($0) } ?? .success(data ?? Data())
            done.signal()
        }.resume()
        done.wait()
        return try box.result.get()
    }

    func stop() { child.stop() }

    static let source = #"""
import base64, hashlib, json, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

routes = {}
log = []
lock = threading.Lock()

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                size = int(self.rfile.readline().strip(), 16)
                if size == 0:
                    self.rfile.readline()
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length", "0")))

    def reply(self, status, body=b"", headers=None):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if self.command != "HEAD":
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_any(self):
        data = self.body()
        path = urlsplit(self.path).path
        if path == "/_control/route":
            r = json.loads(data)
            with lock:
                routes[(r["method"], r["path"])] = r["responses"]
            return self.reply(204)
        if path == "/_control/log":
            with lock:
                return self.reply(200, json.dumps(log).encode())
        entry = {"method": self.command, "path": self.path,
                 "headers": {k.lower(): v for k, v in self.headers.items()},
                 "body": base64.b64encode(data).decode(), "client_port": self.client_address[1]}
        with lock:
            log.append(entry)
            scripted = routes.get((self.command, path))
            if scripted:
                answer = scripted.pop(0) if len(scripted) > 1 else scripted[0]
        if scripted:
            time.sleep(answer.get("delay", 0))
            return self.reply(answer["status"], answer.get("body", "").encode(), answer.get("headers"))
        if path == "/echo":
            echo = {"method": self.command, "path": self.path, "headers": entry["headers"],
                    "length": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                    "client_port": self.client_address[1]}
            return self.reply(200, json.dumps(echo).encode(), {"Content-Type": "application/json", "X-Echo": "yes"})
        if path.startswith("/bytes/"):
            n = int(path.split("/")[2])
            return self.reply(200, bytes(i % 251 for i in range(n)), {"Content-Type": "application/octet-stream"})
        if path.startswith("/slow/"):
            time.sleep(float(path.split("/")[2]))
            return self.reply(200, b"late")
        self.reply(404, b"no route")

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = handle_any

server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()
"""#
}
