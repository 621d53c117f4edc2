import Foundation
@testable import GalleryAWS
import GalleryCore
import GalleryMoto
import XCTest

/// Retries, error messages and signing on the wire, against a scripted server posing as DynamoDB.
final class AWSClientTests: XCTestCase {
    private var server: ScriptedHTTPServer!

    override func setUpWithError() throws {
        server = try ScriptedHTTPServer()
    }

    override func tearDown() {
        server?.stop()
    }

    final class CountingProvider: AWSCredentialsProvider, @unchecked Sendable {
        var invalidations = 0
        func credentials() throws -> AWSCredentials {
            AWSCredentials(accessKeyID: "AKIATEST", secretAccessKey: "test-secret-value", sessionToken: "session-\(invalidations)")
        }
        func invalidate() { invalidations += 1 }
    }

    private func client(maxAttempts: Int = 3, provider: AWSCredentialsProvider = CountingProvider(), timeout: TimeInterval = 5,
                        endpoint: String? = nil) throws -> AWSClient {
        AWSClient(configuration: AWSConfiguration(
            region: "eu-central-1", credentials: provider,
            endpointOverrides: [.dynamoDB: try AWSEndpoint(url: endpoint ?? server.baseURL)],
            retry: RetryPolicy(maxAttempts: maxAttempts, baseDelay: 0.01, throttlingBaseDelay: 0.02, maxDelay: 0.05),
            connectTimeout: 1, timeout: timeout))
    }

    private func getItem(_ client: AWSClient) throws -> [String: Any] {
        try client.json(.dynamoDB, target: "DynamoDB_20120810", "GetItem", version: "1.0",
                        ["TableName": "t", "Key": ["id": ["S": "x"]]])
    }

    private let throttled = ScriptedHTTPServer.Response(
        status: 400, headers: ["Content-Type": "application/x-amz-json-1.0"],
        body: #"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate of requests exceeds the allowed throughput."}"#)

    func testRetriesThrottlingAnd5xxThenSucceeds() throws {
        try server.route("POST", "/", [.init(status: 503, body: "busy"), throttled, .init(status: 200, body: #"{"Item":{"id":{"S":"x"}}}"#)])
        let answer = try getItem(try client())
        XCTAssertEqual((answer["Item"] as? [String: Any])?.keys.sorted(), ["id"])
        let requests = try server.requests()
        XCTAssertEqual(requests.count, 3)
        for request in requests {
            XCTAssertEqual(request.headers["x-amz-target"], "DynamoDB_20120810.GetItem")
            XCTAssertEqual(request.headers["content-type"], "application/x-amz-json-1.0")
            XCTAssertEqual(request.headers["host"], "127.0.0.1:\(server.port)")
            XCTAssertEqual(request.headers["x-amz-security-token"], "session-0")
            let authorization = try XCTUnwrap(request.headers["authorization"])
            XCTAssertTrue(authorization.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIATEST/"), authorization)
            XCTAssertTrue(authorization.contains("/eu-central-1/dynamodb/aws4_request"), authorization)
            XCTAssertFalse(authorization.contains("test-secret-value"))
        }
    }

    func testGivesUpAfterMaxAttemptsNamingTheCall() throws {
        try server.route("POST", "/", [throttled])
        XCTAssertThrowsError(try getItem(try client(maxAttempts: 2))) { error in
            let failure = error as? AWSError
            XCTAssertEqual(failure?.code, "ThrottlingException")
            XCTAssertEqual(failure?.attempts, 2)
            XCTAssertEqual("\(error)", "dynamodb GetItem: ThrottlingException: Rate of requests exceeds the allowed throughput. (HTTP 400, 2 attempts)")
            XCTAssertEqual(error.asGalleryError, .unavailable("\(error)"))
        }
        XCTAssertEqual(try server.requests().count, 2)
    }

    func testClientErrorsAreNotRetried() throws {
        try server.route("POST", "/", [.init(status: 400, headers: ["x-amzn-ErrorType": "ValidationException:http://internal.amazon.com/coral/"],
                                             body: #"{"message":"One or more parameter values were invalid"}"#)])
        XCTAssertThrowsError(try getItem(try client())) {
            XCTAssertEqual(($0 as? AWSError)?.code, "ValidationException")
            XCTAssertEqual(($0 as? AWSError)?.message, "One or more parameter values were invalid")
        }
        XCTAssertEqual(try server.requests().count, 1)
    }

    func testExpiredCredentialsAreRenewedOnce() throws {
        try server.route("POST", "/", [
            .init(status: 400, body: #"{"__type":"com.amazon.coral.service#ExpiredTokenException","message":"The security token included in the request is expired"}"#),
            .init(status: 200, body: "{}"),
        ])
        let provider = CountingProvider()
        _ = try getItem(try client(maxAttempts: 1, provider: provider))
        XCTAssertEqual(provider.invalidations, 1)
        XCTAssertEqual(try server.requests().map { $0.headers["x-amz-security-token"] }, ["session-0", "session-1"])
    }

    func testTransportFailuresAndTimeoutsAreRetriedThenReported() throws {
        XCTAssertThrowsError(try getItem(try client(maxAttempts: 3, endpoint: "http://127.0.0.1:\(freeLoopbackPort())"))) {
            XCTAssertEqual(($0 as? AWSError)?.code, "Transport")
            XCTAssertEqual(($0 as? AWSError)?.attempts, 3)
        }
        try server.route("POST", "/", [.init(status: 200, body: "{}", delay: 1.5), .init(status: 200, body: "{}")])
        _ = try getItem(try client(maxAttempts: 2, timeout: 0.5))
        XCTAssertEqual(try server.requests().count, 2, "the slow answer timed out and the retry succeeded")
    }

    func testBackoffIsExponentialWithFullJitterAndCapped() {
        let policy = RetryPolicy(maxAttempts: 10, baseDelay: 0.1, throttlingBaseDelay: 0.5, maxDelay: 20)
        XCTAssertEqual(policy.delay(retry: 1, throttled: false, random: 0.999), 0.0999, accuracy: 1e-9)
        XCTAssertEqual(policy.delay(retry: 3, throttled: false, random: 0.999), 0.3996, accuracy: 1e-9)
        XCTAssertEqual(policy.delay(retry: 2, throttled: true, random: 0.5), 0.5, accuracy: 1e-9)
        XCTAssertEqual(policy.delay(retry: 12, throttled: true, random: 0.999), 19.98, accuracy: 1e-9)
        XCTAssertEqual(policy.delay(retry: 4, throttled: false, random: 0), 0)
        let spread = Set((0..<50).map { _ in policy.delay(retry: 3, throttled: false) })
        XCTAssertGreaterThan(spread.count, 40, "jitter spreads the retries")
        XCTAssertTrue(spread.allSatisfy { $0 >= 0 && $0 < 0.4 })
    }

    func testErrorShapesOfEveryProtocol() {
        func details(_ status: Int, _ body: String, _ headers: [(name: String, value: String)] = []) -> String {
            let (code, message) = AWSClient.errorDetails(HTTPResponseFixture.make(status: status, headers: headers, body: body))
            return message.isEmpty ? code : "\(code)|\(message)"
        }
        XCTAssertEqual(details(400, #"{"__type":"NotAuthorizedException","message":"Incorrect username or password."}"#),
                       "NotAuthorizedException|Incorrect username or password.")
        XCTAssertEqual(details(400, #"{"__type":"com.amazonaws.secretsmanager#ResourceNotFoundException","Message":"no such secret"}"#),
                       "ResourceNotFoundException|no such secret")
        XCTAssertEqual(details(404, "<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>"),
                       "NoSuchKey|The specified key does not exist.")
        XCTAssertEqual(details(403, #"<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Code>InvalidClientTokenId</Code><Message>bad</Message></Error></ErrorResponse>"#),
                       "InvalidClientTokenId|bad")
        XCTAssertEqual(details(403, "<?xml version=\"1.0\"?><ErrorResponse><Errors><Error><Code>SignatureDoesNotMatch</Code><Message>no</Message></Error></Errors></ErrorResponse>"),
                       "SignatureDoesNotMatch|no")
        XCTAssertEqual(details(404, ""), "NotFound")
        let jwt = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhMTU0YjQ0OC0wNGYxIiwidXNlcm5hbWUiOiJncmFjZSJ9.gEl_iy8zHT_EmYtbQ4u9t3MtbwnJ3oAKlDCLuZ"
        XCTAssertEqual(details(400, #"{"__type":"NotAuthorizedException","message":"\#(jwt)"}"#), "NotAuthorizedException|<redacted>")
        XCTAssertEqual(details(502, "<html>bad gateway</html"), "HTTP502")
    }
}

import GalleryCurl

enum HTTPResponseFixture {
    static func make(status: Int, headers: [(name: String, value: String)], body: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: headers, body: Data(body.utf8))
    }
}
