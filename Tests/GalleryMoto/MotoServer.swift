import Foundation
import GalleryAWS
import GalleryCurl
import GalleryTestSupport
import XCTest

/// `moto_server` on a free loopback port, for one test class. `reset()` empties every service
/// between tests.
///
/// `serialized` runs moto's same application one request at a time. moto_server handles
/// requests on concurrent threads without a lock, so two conditional UpdateItems on one item
/// can both succeed (checked with boto3: 6 threads, 40 items, 42 wins) — which DynamoDB
/// never allows. Tests of concurrent claims need the serialized server to mean anything.
public final class MotoServer: @unchecked Sendable {  // set once, stopped once; shared by the tests of one suite
    /// Nil for a server someone else started (`GALLERY_TEST_MOTO_URL`).
    public let child: ChildProcess?
    public let port: Int
    public var url: String { "http://127.0.0.1:\(port)" }

    public init(environment: [String: String] = [:], serialized: Bool = false) throws {
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
            guard let python = executable("python3") else { throw missingTool("python3 is not installed") }
            let child = try ChildProcess(python, [Self.serializedScript.path], environment: environment)
            guard let line = child.firstLine(), let port = Int(line), Self.waitUntilReady(port: port, child: child) else {
                throw NSError(domain: "MotoServer", code: 2, userInfo: [NSLocalizedDescriptionKey: "serialized moto did not start: \(child.log)"])
            }
            self.child = child
            self.port = port
            return
        }
        guard let moto = executable("moto_server") else { throw missingTool("moto_server is not installed (Tests/requirements.txt)") }
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

    /// Empties every service (a throw, not an XCTest assertion, so Swift Testing sees it too).
    public func reset() throws {
        let response = try HTTPClient().send(HTTPRequest(method: "POST", url: url + "/moto-api/reset"))
        guard response.status == 200 else {
            throw NSError(domain: "MotoServer", code: 3, userInfo: [NSLocalizedDescriptionKey: "moto reset: HTTP \(response.status)"])
        }
    }

    /// A user pool like the one the README describes: email verified by code, passwords of at
    /// least 10 characters, case-insensitive usernames, and an app client with a secret.
    public static func makeUserPool(_ client: AWSClient) throws -> (pool: String, client: String, secret: String) {
        func call(_ operation: String, _ body: [String: Any]) throws -> [String: Any] {
            try client.json(.cognito, target: "AWSCognitoIdentityProviderService", operation, version: "1.1", body)
        }
        let pool = try call("CreateUserPool", [
            "PoolName": "gallery-test",
            "Policies": ["PasswordPolicy": ["MinimumLength": 10, "RequireUppercase": false, "RequireLowercase": false,
                                            "RequireNumbers": false, "RequireSymbols": false]],
            "AutoVerifiedAttributes": ["email"],
            "UsernameConfiguration": ["CaseSensitive": false],
        ])
        let app = (pool["UserPool"] as? [String: Any])?["Id"] as? String
        guard let poolID = app else { throw NSError(domain: "MotoServer", code: 4, userInfo: [NSLocalizedDescriptionKey: "CreateUserPool: \(pool)"]) }
        let created = try call("CreateUserPoolClient", [
            "UserPoolId": poolID, "ClientName": "gallery-web", "GenerateSecret": true,
            "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        ])
        guard let details = created["UserPoolClient"] as? [String: Any], let id = details["ClientId"] as? String,
              let secret = details["ClientSecret"] as? String else {
            throw NSError(domain: "MotoServer", code: 4, userInfo: [NSLocalizedDescriptionKey: "CreateUserPoolClient: \(created)"])
        }
        return (poolID, id, secret)
    }

    /// A client for every service of this server, with fast retries for tests.
    public func client(credentials: AWSCredentials = AWSCredentials(accessKeyID: "AKIAMOTOTEST", secretAccessKey: "moto-secret"),
                region: String = "eu-central-1", maxAttempts: Int = 3) throws -> AWSClient {
        let endpoint = try AWSEndpoint(url: url)
        return AWSClient(configuration: AWSConfiguration(
            region: region, credentials: StaticCredentialsProvider(credentials),
            endpointOverrides: Dictionary(uniqueKeysWithValues: AWSService.all.map { ($0, endpoint) }),
            retry: RetryPolicy(maxAttempts: maxAttempts, baseDelay: 0.01, throttlingBaseDelay: 0.02, maxDelay: 0.1),
            connectTimeout: 2, timeout: 30))
    }

    public func stop() { child?.stop() }

    /// moto's own WSGI application behind one lock, on a port the OS picks; the same script
    /// serves the end-to-end tests and the worker's tests.
    static let serializedScript = Repository.url("Tests/EndToEnd/moto_serialized.py")
}

/// One moto server per test class: started in `setUp()` of the first test, stopped in the
/// class's `tearDown()`.
open class MotoTestCase: XCTestCase {
    // XCTest runs a class's tests and its class tearDown one after another on one thread.
    nonisolated(unsafe) private static var servers: [ObjectIdentifier: MotoServer] = [:]
    nonisolated(unsafe) private static var failures: [ObjectIdentifier: Error] = [:]

    /// Classes whose tests race conditional writes override this (see `MotoServer`).
    open class var serializedMoto: Bool { false }

    public var moto: MotoServer {
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

    override open class func tearDown() {
        servers.removeValue(forKey: ObjectIdentifier(self))?.stop()
        failures.removeValue(forKey: ObjectIdentifier(self))
        super.tearDown()
    }
}
