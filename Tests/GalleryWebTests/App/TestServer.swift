import CoreMetrics
import Foundation
import GalleryCore
import GalleryEmbedded
import GalleryHTTP
import GalleryMetrics
import GalleryTestSupport
import GalleryUseCases
@testable import GalleryWeb

/// The web app in-process on a real SQLite file and blob directory.
final class TestServer {
    let app: GalleryApp
    let config: Configuration
    let services: Stores
    let directory: URL

    /// `metrics`: what /metrics shows; `metricsFactory`: where the app records.
    init(environment: [String: String] = [:], metrics: MetricsExposition? = nil,
         metricsFactory: MetricsFactory = MetricsSystem.factory) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("gallery-web-\(UUID().uuidString)")
        var env = ["GALLERY_DATA_DIR": directory.path,
                   "GALLERY_TEMPLATES": Repository.url("templates").path]
        env.merge(environment) { $1 }
        config = try Configuration(environment: env)
        for dir in [config.temporaryDirectory, config.blobDirectory, config.outboxDirectory] {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        }
        let database = try SQLiteDatabase(file: config.databaseFile)
        let mailer = try OutboxMailer(directory: config.outboxDirectory, from: "test@localhost")
        services = Stores(metadata: SQLiteMetadataStore(database: database),
                          catalog: SQLiteCatalogStore(database: database),
                          jobs: SQLiteJobQueue(database: database),
                          blobs: try FileBlobStore(root: config.blobDirectory),
                          identity: LocalIdentityProvider(database: database, mailer: mailer, siteURL: "http://test"))
        app = GalleryApp(useCases: UseCases(stores: services, settings: UseCases.Settings(config)), config: config,
                         templates: try Templates(directory: config.templatesDirectory),
                         secretKey: Array(repeating: 7, count: 32), metrics: metrics, metricsFactory: metricsFactory)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    /// A new browser with no cookies.
    func browser() -> Browser { Browser(server: self) }

    func latestCode(for email: String) throws -> String {
        let files = try FileManager.default.contentsOfDirectory(at: config.outboxDirectory, includingPropertiesForKeys: nil)
        let mails = try files.map { try String(contentsOf: $0, encoding: .utf8) }.filter { $0.contains("To: \(email)") }
        for text in mails.reversed() {
            guard let split = text.range(of: "\r\n\r\n") ?? text.range(of: "\n\n") else { continue }
            let body = text[split.upperBound...]
            if let r = body.range(of: #"\b\d{6}\b"#, options: .regularExpression) { return String(body[r]) }
        }
        throw GalleryError.notFound
    }

    /// Regular files in the blob store and the temp directory (a failed upload leaves none).
    func storedFiles() -> [String] {
        var found: [String] = []
        for root in [config.blobDirectory, config.temporaryDirectory] {
            let e = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])
            while let url = e?.nextObject() as? URL {
                if (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true { found.append(url.path) }
            }
        }
        return found
    }
}

/// A browser on a `TestServer`: keeps cookies, reads CSRF tokens from the rendered forms, and
/// sends the same FastCGI parameters nginx would.
final class Browser {
    let server: TestServer
    var cookies: [String: String] = [:]
    var https = false
    /// What nginx would pass as REMOTE_ADDR.
    var remoteAddress = "127.0.0.1"
    var userAgent: String?

    init(server: TestServer) { self.server = server }

    @discardableResult
    func request(_ method: String, _ target: String, body: [UInt8] = [], contentType: String? = nil,
                 extraParams: [String: String] = [:]) -> Response {
        let parts = target.split(separator: "?", maxSplits: 1).map(String.init)
        var params = ["REQUEST_METHOD": method, "DOCUMENT_URI": parts[0],
                      "QUERY_STRING": parts.count > 1 ? parts[1] : "", "REMOTE_ADDR": remoteAddress]
        if let userAgent { params["HTTP_USER_AGENT"] = userAgent }
        if !cookies.isEmpty {
            params["HTTP_COOKIE"] = cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")
        }
        if let contentType { params["CONTENT_TYPE"] = contentType }
        if !body.isEmpty || method == "POST" { params["CONTENT_LENGTH"] = String(body.count) }
        if https { params["HTTPS"] = "on" }
        params.merge(extraParams) { $1 }
        let response = server.app.handle(CGIParameters.request(params, body: BytesBody(body)))
        for (name, value) in response.headers where name == "Set-Cookie" {
            let pair = value.split(separator: ";")[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let cookieName = String(pair[0]), cookieValue = pair.count > 1 ? String(pair[1]) : ""
            if value.contains("Max-Age=0") { cookies[cookieName] = nil } else { cookies[cookieName] = cookieValue }
        }
        return response
    }

    func get(_ target: String) -> Response { request("GET", target) }

    func csrf(from target: String) -> String {
        let html = get(target).bodyText
        guard let range = html.range(of: #"name="csrf" value="[^"]+""#, options: .regularExpression) else { return "" }
        return String(html[range].dropFirst(#"name="csrf" value=""#.count).dropLast())
    }

    @discardableResult
    func post(_ target: String, _ fields: [(String, String)], csrfFrom page: String? = nil) -> Response {
        var fields = fields
        if let page { fields.append(("csrf", csrf(from: page))) }
        let body = fields.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        return request("POST", target, body: Array(body.utf8), contentType: "application/x-www-form-urlencoded")
    }

    static func encode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// Registers, confirms (code from the outbox) and logs in.
    func signUp(_ username: String, password: String = "correct horse battery") throws {
        let email = "\(username)@example.com"
        post("/register", [("username", username), ("email", email), ("password", password), ("password2", password)],
             csrfFrom: "/register")
        let code = try server.latestCode(for: email)
        post("/confirm", [("username", username), ("code", code)], csrfFrom: "/confirm")
        post("/login", [("username", username), ("password", password)], csrfFrom: "/login")
    }

    static let boundary = "----galleryTestBoundary7MA4YWxkTrZu0gW"

    /// A multipart body as a browser sends it.
    static func multipart(fields: [(String, String)], files: [(filename: String, data: [UInt8])]) -> [UInt8] {
        var body = [UInt8]()
        for (name, value) in fields {
            body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
        }
        for file in files {
            body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"\(file.filename)\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
            body += file.data
            body += Array("\r\n".utf8)
        }
        body += Array("--\(boundary)--\r\n".utf8)
        return body
    }

    func upload(_ files: [(filename: String, data: [UInt8])], csrf: String? = nil, visibility: String = "public",
                truncateBy: Int = 0) -> Response {
        let token = csrf ?? self.csrf(from: "/upload")
        var body = Self.multipart(fields: [("csrf", token), ("visibility", visibility)], files: files)
        body.removeLast(min(truncateBy, body.count))
        return request("POST", "/upload", body: body, contentType: "multipart/form-data; boundary=\(Self.boundary)")
    }
}
