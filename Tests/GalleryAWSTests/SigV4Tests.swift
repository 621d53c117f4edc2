import Foundation
@testable import GalleryAWS
import GalleryCrypto
import GalleryMoto
import GalleryTestSupport
import XCTest

/// The signer against AWS's published SigV4 test suite and against botocore's signer.
final class SigV4Tests: XCTestCase {
    // MARK: The AWS SigV4 test suite (docs.aws.amazon.com/general/latest/gr/signature-v4-test-suite.html)

    struct Vector {
        var name: String
        var method: String
        var path: String
        var query: [(String, String)] = []
        var headers: [(name: String, value: String)] = []
        var body = ""
        var token = false
        var signature: String
        var signedHeaders = "host;x-amz-date"
    }

    static let suiteCredentials = AWSCredentials(accessKeyID: "AKIDEXAMPLE",
                                                 secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    static let suiteToken = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="
    static let suiteDate = Date(timeIntervalSince1970: 1_440_938_160)  // 20150830T123600Z

    static let vectors: [Vector] = [
        Vector(name: "get-vanilla", method: "GET", path: "/",
               signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        Vector(name: "get-vanilla-empty-query-key", method: "GET", path: "/", query: [("Param1", "value1")],
               signature: "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"),
        Vector(name: "get-vanilla-query-order-key", method: "GET", path: "/", query: [("Param1", "value2"), ("Param1", "Value1")],
               signature: "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1"),
        Vector(name: "get-vanilla-query-order-key-case", method: "GET", path: "/", query: [("Param2", "value2"), ("Param1", "value1")],
               signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
        Vector(name: "get-vanilla-query-order-value", method: "GET", path: "/", query: [("Param1", "value2"), ("Param1", "value1")],
               signature: "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694"),
        Vector(name: "get-vanilla-query-unreserved", method: "GET", path: "/",
               query: [("-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
                        "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")],
               signature: "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"),
        Vector(name: "get-vanilla-utf8-query", method: "GET", path: "/", query: [("ሴ", "bar")],
               signature: "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"),
        Vector(name: "get-unreserved", method: "GET", path: "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
               signature: "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"),
        Vector(name: "get-header-key-duplicate", method: "GET", path: "/",
               headers: [("My-Header1", "value2"), ("My-Header1", "value2"), ("My-Header1", "value1")],
               signature: "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea",
               signedHeaders: "host;my-header1;x-amz-date"),
        Vector(name: "get-header-value-order", method: "GET", path: "/",
               headers: [("My-Header1", "value4"), ("My-Header1", "value1"), ("My-Header1", "value3"), ("My-Header1", "value2")],
               signature: "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01",
               signedHeaders: "host;my-header1;x-amz-date"),
        Vector(name: "get-header-value-trim", method: "GET", path: "/",
               headers: [("My-Header1", " value1"), ("My-Header2", " \"a   b   c\"")],
               signature: "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
               signedHeaders: "host;my-header1;my-header2;x-amz-date"),
        Vector(name: "get-relative-relative", method: "GET", path: "/example1/example2/../..",
               signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        Vector(name: "get-slash-pointless-dot", method: "GET", path: "/./example",
               signature: "ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5"),
        Vector(name: "get-slashes", method: "GET", path: "//example//",
               signature: "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84"),
        Vector(name: "get-space", method: "GET", path: "/example space/",
               signature: "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"),
        Vector(name: "post-vanilla", method: "POST", path: "/",
               signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
        Vector(name: "post-vanilla-query", method: "POST", path: "/", query: [("Param1", "value1")],
               signature: "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"),
        Vector(name: "post-header-value-case", method: "POST", path: "/", headers: [("My-Header1", "VALUE1")],
               signature: "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d",
               signedHeaders: "host;my-header1;x-amz-date"),
        Vector(name: "post-sts-header-before", method: "POST", path: "/", token: true,
               signature: "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead",
               signedHeaders: "host;x-amz-date;x-amz-security-token"),
    ]

    func testPublishedTestSuite() {
        let signer = SigV4Signer(service: "service", region: "us-east-1")
        for vector in Self.vectors {
            var credentials = Self.suiteCredentials
            if vector.token { credentials.sessionToken = Self.suiteToken }
            var headers = [(name: "Host", value: "example.amazonaws.com")] + vector.headers
            signer.sign(method: vector.method, path: vector.path, query: vector.query, headers: &headers,
                        payloadHash: SHA256Hex.of(vector.body), credentials: credentials, date: Self.suiteDate)
            let expected = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                + "SignedHeaders=\(vector.signedHeaders), Signature=\(vector.signature)"
            XCTAssertEqual(headers.first { $0.name == "Authorization" }?.value, expected, vector.name)
            XCTAssertEqual(headers.first { $0.name == "X-Amz-Date" }?.value, "20150830T123600Z", vector.name)
        }
    }

    /// The suite's `post-x-www-form-urlencoded-parameters` publishes an Authorization that does
    /// not match its own canonical request (it was signed without content-length); the
    /// canonical request is the part to check there.
    func testPublishedCanonicalRequestWithABody() {
        let signer = SigV4Signer(service: "service", region: "us-east-1")
        let headers = [(name: "Content-Type", value: "application/x-www-form-urlencoded; charset=utf-8"),
                       (name: "Host", value: "example.amazonaws.com"), (name: "X-Amz-Date", value: "20150830T123600Z"),
                       (name: "Content-Length", value: "13")]
        let (canonical, signed) = SigV4Signer.canonicalHeaders(headers)
        let request = signer.canonicalRequest(method: "POST", path: "/", query: [], canonicalHeaders: canonical,
                                              signedHeaders: signed, payloadHash: SHA256Hex.of("Param1=value1"))
        XCTAssertEqual(request, "POST\n/\n\ncontent-length:13\ncontent-type:application/x-www-form-urlencoded; charset=utf-8\n"
                       + "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\ncontent-length;content-type;host;x-amz-date\n"
                       + "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e")
    }

    func testCredentialsNeverPrintTheirSecrets() {
        let credentials = AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "SECRETSECRET", sessionToken: "TOKENTOKEN")
        XCTAssertFalse("\(credentials)".contains("SECRETSECRET"))
        XCTAssertFalse("\(credentials)".contains("TOKENTOKEN"))
        XCTAssertFalse(String(reflecting: credentials).contains("SECRETSECRET"))
    }

    // MARK: Against botocore

    struct Case: Encodable {
        var service: String
        var region = "eu-central-1"
        var method: String
        var scheme = "https"
        var host: String
        var path: String
        var query: [[String]] = []
        var headers: [[String]] = []
        var body = ""
        var unsignedPayload = false
        var token: String?
        var timestamp = 1_767_225_600.0  // 2026-01-01T00:00:00Z
        var presignExpires: Int?

        enum CodingKeys: String, CodingKey {
            case service, region, method, scheme, host, path, query, headers, body, token, timestamp
            case unsignedPayload = "unsigned_payload", presignExpires = "presign_expires"
        }
    }

    static let access = "AKIAIOSFODNN7EXAMPLE"
    static let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

    static let cases: [Case] = [
        Case(service: "dynamodb", method: "POST", host: "dynamodb.eu-central-1.amazonaws.com", path: "/",
             headers: [["Content-Type", "application/x-amz-json-1.0"], ["X-Amz-Target", "DynamoDB_20120810.PutItem"]],
             body: #"{"TableName":"gallery-images","Item":{"id":{"S":"img-1 ✓"}}}"#),
        Case(service: "dynamodb", method: "POST", host: "dynamodb.eu-central-1.amazonaws.com", path: "/",
             headers: [["Content-Type", "application/x-amz-json-1.0"], ["X-Amz-Target", "DynamoDB_20120810.Query"]],
             body: "{}", token: "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+/=="),
        Case(service: "cognito-idp", region: "us-west-2", method: "POST", host: "cognito-idp.us-west-2.amazonaws.com", path: "/",
             headers: [["Content-Type", "application/x-amz-json-1.1"],
                       ["X-Amz-Target", "AWSCognitoIdentityProviderService.AdminDeleteUser"]],
             body: #"{"UserPoolId":"us-west-2_abc","Username":"zoë"}"#),
        Case(service: "secretsmanager", method: "POST", scheme: "http", host: "127.0.0.1:5123", path: "/",
             headers: [["Content-Type", "application/x-amz-json-1.1"], ["X-Amz-Target", "secretsmanager.GetSecretValue"]],
             body: #"{"SecretId":"arn:aws:secretsmanager:eu-central-1:123456789012:secret:gallery/session-key-AbCdEf"}"#),
        // S3: a key with spaces, '+', '&', unicode and a doubled slash; the path is signed as sent.
        Case(service: "s3", method: "GET", host: "gallery-bucket.s3.eu-central-1.amazonaws.com",
             path: "/" + SigV4Signer.encode("originals/a b/c+d&e/zoë//x.jpg", keepSlash: true)),
        // Query strings with reserved characters, an empty value and a repeated name.
        Case(service: "s3", method: "GET", scheme: "http", host: "127.0.0.1:5123", path: "/gallery-bucket",
             query: [["list-type", "2"], ["prefix", "a b/ü+&=*~%"], ["delimiter", "/"], ["empty", ""],
                     ["x", "2"], ["x", "1"], ["start-after", "!'()*"]]),
        // A streamed upload: UNSIGNED-PAYLOAD, encryption and content type signed, a session token.
        Case(service: "s3", method: "PUT", host: "gallery-bucket.s3.eu-central-1.amazonaws.com",
             path: "/originals/ab/abc123.jpg",
             headers: [["Content-Type", "image/jpeg"], ["x-amz-server-side-encryption", "AES256"],
                       ["X-Amz-Meta-Note", "  two   spaces  "]],
             unsignedPayload: true, token: "FwoGZXIvYXdzEBYaDH+token/with==special"),
        // A small body whose hash is signed, over plain HTTP to a custom port (moto).
        Case(service: "s3", method: "POST", scheme: "http", host: "127.0.0.1:5123", path: "/gallery-bucket",
             query: [["delete", ""]],
             headers: [["Content-Type", "application/xml"]],
             body: "<Delete><Quiet>true</Quiet><Object><Key>a&amp;b</Key></Object></Delete>"),
        // An empty-bodied PUT (CreateBucket on us-east-1).
        Case(service: "s3", region: "us-east-1", method: "PUT", host: "s3.us-east-1.amazonaws.com", path: "/gallery-bucket"),
        // Presigned GETs, with and without a session token, with response overrides.
        Case(service: "s3", method: "GET", host: "gallery-bucket.s3.eu-central-1.amazonaws.com",
             path: "/previews/ab/abc%20d.webp",
             query: [["response-content-type", "image/webp"],
                     ["response-content-disposition", "attachment; filename=\"IMG 0001 (copy).webp\""]],
             presignExpires: 3600),
        Case(service: "s3", method: "GET", scheme: "http", host: "127.0.0.1:5123", path: "/gallery-bucket/thumbs/x.webp",
             token: "FwoGZXIvYXdzEBYaDH+token/with==special", presignExpires: 604_800),
    ]

    func testMatchesBotocore() throws {
        guard let python = executable("python3") else { throw missingTool("python3 is not installed") }
        let results = try runBotocore(python, Self.cases)
        XCTAssertEqual(results.count, Self.cases.count)
        for (c, botocore) in zip(Self.cases, results) {
            let signer = SigV4Signer(service: c.service, region: c.region)
            let credentials = AWSCredentials(accessKeyID: Self.access, secretAccessKey: Self.secret, sessionToken: c.token)
            let date = Date(timeIntervalSince1970: c.timestamp)
            let query = c.query.map { ($0[0], $0[1]) }
            let label = "\(c.service) \(c.method) \(c.path)"
            if let expires = c.presignExpires {
                let url = signer.presignedURL(method: c.method, scheme: c.scheme, host: c.host, path: c.path, query: query,
                                              expires: expires, credentials: credentials, date: date)
                XCTAssertEqual(Self.queryItem("X-Amz-Signature", url), Self.queryItem("X-Amz-Signature", botocore["url"] ?? ""), label)
                XCTAssertEqual(Self.queryItems(url), Self.queryItems(botocore["url"] ?? ""), label)
                continue
            }
            var headers = [(name: "Host", value: c.host)] + c.headers.map { (name: $0[0], value: $0[1]) }
            let hash = c.unsignedPayload ? SigV4Signer.unsignedPayload : SHA256Hex.of(c.body)
            signer.sign(method: c.method, path: c.path, query: query, headers: &headers, payloadHash: hash,
                        credentials: credentials, date: date)
            XCTAssertEqual(headers.first { $0.name == "Authorization" }?.value, botocore["authorization"], label)
            if c.service == "s3" {
                XCTAssertEqual(headers.first { $0.name == "X-Amz-Content-SHA256" }?.value, botocore["content_sha256"], label)
            }
        }
    }

    /// A wrong secret or a changed request changes the signature (the comparison above is not vacuous).
    func testSignatureDependsOnSecretAndRequest() {
        let signer = SigV4Signer(service: "dynamodb", region: "eu-central-1")
        func authorization(secret: String, target: String) -> String? {
            var headers = [(name: "Host", value: "dynamodb.eu-central-1.amazonaws.com"), (name: "X-Amz-Target", value: target)]
            signer.sign(method: "POST", path: "/", query: [], headers: &headers, payloadHash: SHA256Hex.of("{}"),
                        credentials: AWSCredentials(accessKeyID: Self.access, secretAccessKey: secret), date: Self.suiteDate)
            return headers.first { $0.name == "Authorization" }?.value
        }
        let base = authorization(secret: Self.secret, target: "DynamoDB_20120810.GetItem")
        XCTAssertNotEqual(base, authorization(secret: Self.secret + "x", target: "DynamoDB_20120810.GetItem"))
        XCTAssertNotEqual(base, authorization(secret: Self.secret, target: "DynamoDB_20120810.PutItem"))
    }

    // MARK: Helpers

    static func queryItems(_ url: String) -> [String: String] {
        var items: [String: String] = [:]
        for item in URLComponents(string: url)?.percentEncodedQueryItems ?? [] { items[item.name] = item.value ?? "" }
        return items
    }

    static func queryItem(_ name: String, _ url: String) -> String? { queryItems(url)[name] }

    private func runBotocore(_ python: String, _ cases: [Case]) throws -> [[String: String]] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [try temporaryScript("botocore_sign.py", Self.botocoreScript)]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(try JSONEncoder().encode(cases))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let problems = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        if process.terminationStatus != 0, String(decoding: problems, as: UTF8.self).contains("No module named 'botocore'") {
            throw missingTool("botocore is not installed (Tests/requirements.txt)")
        }
        XCTAssertEqual(process.terminationStatus, 0, String(decoding: problems, as: UTF8.self))
        return try JSONDecoder().decode([[String: String]].self, from: data)
    }

    static let botocoreScript = #"""
import datetime, json, sys, types
import botocore.auth
from botocore.auth import SigV4Auth, S3SigV4Auth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

out = []
for c in json.load(sys.stdin):
    now = datetime.datetime.fromtimestamp(c["timestamp"], datetime.timezone.utc).replace(tzinfo=None)
    botocore.auth.get_current_datetime = lambda *a, **k: now
    creds = Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", c.get("token"))
    url = "%s://%s%s" % (c["scheme"], c["host"], c["path"])
    request = AWSRequest(method=c["method"], url=url, data=c["body"].encode("utf-8"),
                         params=[tuple(p) for p in c["query"]])
    request.headers["Host"] = c["host"]
    for name, value in c["headers"]:
        request.headers[name] = value
    if c.get("presign_expires"):
        S3SigV4QueryAuth(creds, c["service"], c["region"], expires=c["presign_expires"]).add_auth(request)
        out.append({"url": request.url})
        continue
    if c["service"] == "s3":
        request.context["client_config"] = types.SimpleNamespace(s3={"payload_signing_enabled": not c["unsigned_payload"]})
        S3SigV4Auth(creds, "s3", c["region"]).add_auth(request)
    else:
        SigV4Auth(creds, c["service"], c["region"]).add_auth(request)
    out.append({"authorization": request.headers["Authorization"],
                "content_sha256": request.headers.get("X-Amz-Content-SHA256", "")})
json.dump(out, sys.stdout)
"""#
}

enum SHA256Hex {
    static func of(_ text: String) -> String { SHA256.hex(Data(text.utf8)) }
}
