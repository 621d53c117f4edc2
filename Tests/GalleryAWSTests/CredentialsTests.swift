import Foundation
@testable import GalleryAWS
import GalleryCore
import GalleryMoto
import XCTest

/// The credentials chain, the shared files and IMDSv2 against a fake metadata service on loopback.
final class CredentialsTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("aws-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: directory)  // cleanup only
    }

    /// An environment that can never reach the real metadata service.
    private func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var env = ["HOME": directory.path, "AWS_EC2_METADATA_DISABLED": "true"]
        env.merge(extra) { $1 }
        return env
    }

    private func write(_ name: String, _ text: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func testEnvironmentComesFirst() throws {
        let credentialsFile = try write("credentials", "[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = filesecret\n")
        let chain = try CredentialsChain.standard(environment: environment([
            "AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "envsecret", "AWS_SESSION_TOKEN": "envtoken",
            "AWS_SHARED_CREDENTIALS_FILE": credentialsFile,
        ]))
        XCTAssertEqual(try chain.credentials(),
                       AWSCredentials(accessKeyID: "AKIAENV", secretAccessKey: "envsecret", sessionToken: "envtoken"))
    }

    func testProfilesFromBothFiles() throws {
        let credentialsFile = try write("credentials", """
            # a comment
            [default]
            aws_access_key_id = AKIADEFAULT
            aws_secret_access_key = defaultsecret

            [ci]
            aws_access_key_id=AKIACI
            aws_secret_access_key = ci/secret+with=signs ; a comment
            aws_session_token = citoken
            """)
        let configFile = try write("config", """
            [default]
            region = eu-west-1
            [profile ci]
            region = us-east-2
            s3 =
              addressing_style = path
            max_attempts = 5
            [profile keys-in-config]
            aws_access_key_id = AKIACONFIG
            aws_secret_access_key = configsecret
            """)
        var env = environment(["AWS_SHARED_CREDENTIALS_FILE": credentialsFile, "AWS_CONFIG_FILE": configFile])
        XCTAssertEqual(try CredentialsChain.standard(environment: env).credentials().accessKeyID, "AKIADEFAULT")

        env["AWS_PROFILE"] = "ci"
        XCTAssertEqual(try CredentialsChain.standard(environment: env).credentials(),
                       AWSCredentials(accessKeyID: "AKIACI", secretAccessKey: "ci/secret+with=signs", sessionToken: "citoken"))
        let configuration = try AWSConfiguration.fromEnvironment(env)
        XCTAssertEqual(configuration.region, "us-east-2")
        XCTAssertEqual(configuration.retry.maxAttempts, 5)

        env["AWS_PROFILE"] = "keys-in-config"
        XCTAssertEqual(try CredentialsChain.standard(environment: env).credentials().accessKeyID, "AKIACONFIG")

        env["AWS_PROFILE"] = "missing"
        expectError(.invalid(""), "a named profile that does not exist") { try CredentialsChain.standard(environment: env) }
    }

    func testNothingConfiguredSaysWhereItLooked() throws {
        let chain = try CredentialsChain.standard(environment: environment())
        XCTAssertThrowsError(try chain.credentials()) { error in
            guard case GalleryError.unavailable(let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("AWS_ACCESS_KEY_ID"), message)
            XCTAssertTrue(message.contains("profile default"), message)
            XCTAssertTrue(message.contains("AWS_EC2_METADATA_DISABLED"), message)
        }
    }

    func testUnsupportedProfileKindsAreNamed() throws {
        let configFile = try write("config", "[profile assume]\nrole_arn = arn:aws:iam::123456789012:role/x\nsource_profile = default\n")
        XCTAssertThrowsError(try CredentialsChain.standard(environment: environment(["AWS_CONFIG_FILE": configFile, "AWS_PROFILE": "assume"]))) {
            XCTAssertTrue("\($0)".contains("role_arn"), "\($0)")
        }
    }

    func testEndpointsAndRegionFromTheEnvironment() throws {
        var env = environment(["AWS_ACCESS_KEY_ID": "AKIA", "AWS_SECRET_ACCESS_KEY": "s", "AWS_DEFAULT_REGION": "ap-south-1"])
        var configuration = try AWSConfiguration.fromEnvironment(env)
        XCTAssertEqual(configuration.region, "ap-south-1")
        XCTAssertEqual(configuration.endpoint(for: .dynamoDB).authority, "dynamodb.ap-south-1.amazonaws.com")
        XCTAssertEqual(configuration.endpoint(for: .cognito).authority, "cognito-idp.ap-south-1.amazonaws.com")
        XCTAssertFalse(configuration.endpoint(for: .s3).isCustom)

        env["AWS_REGION"] = "eu-central-1"
        env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:4566"
        env["AWS_ENDPOINT_URL_S3"] = "http://localhost:9000/"
        env["AWS_ENDPOINT_URL_SECRETS_MANAGER"] = "https://secrets.internal.example:8443/base"
        configuration = try AWSConfiguration.fromEnvironment(env)
        XCTAssertEqual(configuration.region, "eu-central-1")
        XCTAssertEqual(configuration.endpoint(for: .dynamoDB).authority, "127.0.0.1:4566")
        XCTAssertEqual(configuration.endpoint(for: .cognito).authority, "127.0.0.1:4566")
        XCTAssertEqual(configuration.endpoint(for: .s3).authority, "localhost:9000")
        XCTAssertEqual(configuration.endpoint(for: .s3).basePath, "")
        let secrets = configuration.endpoint(for: .secretsManager)
        XCTAssertEqual([secrets.scheme, secrets.authority, secrets.basePath], ["https", "secrets.internal.example:8443", "/base"])

        env["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"] = "true"
        XCTAssertFalse(try AWSConfiguration.fromEnvironment(env).endpoint(for: .dynamoDB).isCustom)

        env["AWS_ENDPOINT_URL_DYNAMODB"] = "ftp://nope"
        env["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"] = nil
        expectError(.invalid(""), "a bad endpoint URL") { try AWSConfiguration.fromEnvironment(env) }
        expectError(.invalid(""), "no region anywhere") {
            try AWSConfiguration.fromEnvironment(environment(["AWS_ACCESS_KEY_ID": "AKIA", "AWS_SECRET_ACCESS_KEY": "s"]))
        }
    }

    // MARK: IMDSv2

    private static func credentialsDocument(_ key: String, expiresIn seconds: TimeInterval) -> String {
        let expiration = ISO8601DateFormatter().string(from: Date().addingTimeInterval(seconds))
        return #"{"Code":"Success","LastUpdated":"2026-01-01T00:00:00Z","Type":"AWS-HMAC","AccessKeyId":"\#(key)","SecretAccessKey":"secret-\#(key)","Token":"token-\#(key)","Expiration":"\#(expiration)"}"#
    }

    func testInstanceRoleCredentialsAreRefreshedBeforeTheyExpire() throws {
        let imds = try ScriptedHTTPServer()
        defer { imds.stop() }
        try imds.route("PUT", "/latest/api/token", [.init(status: 200, body: "imds-session-token")])
        try imds.route("GET", "/latest/meta-data/iam/security-credentials/", [.init(status: 200, body: "gallery-worker\n")])
        try imds.route("GET", "/latest/meta-data/iam/security-credentials/gallery-worker", [
            .init(status: 200, body: Self.credentialsDocument("ASIAFIRST", expiresIn: 300)),
            .init(status: 200, body: Self.credentialsDocument("ASIASECOND", expiresIn: 3600)),
        ])
        try imds.route("GET", "/latest/meta-data/placement/region", [.init(status: 200, body: "eu-west-3")])
        let env = ["HOME": directory.path, "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.baseURL]

        let chain = try CredentialsChain.standard(environment: env)
        let first = try chain.credentials()
        XCTAssertEqual(first.accessKeyID, "ASIAFIRST")
        XCTAssertEqual(first.sessionToken, "token-ASIAFIRST")
        // Five minutes left is inside the refresh margin: the next call fetches again.
        XCTAssertEqual(try chain.credentials().accessKeyID, "ASIASECOND")
        // An hour left is not: cached, no request.
        let before = try imds.requests().count
        XCTAssertEqual(try chain.credentials().accessKeyID, "ASIASECOND")
        XCTAssertEqual(try imds.requests().count, before)
        // After the service said the credentials expired, they are fetched again.
        chain.invalidate()
        XCTAssertEqual(try chain.credentials().accessKeyID, "ASIASECOND")
        XCTAssertEqual(try imds.requests().count, before + 2)

        let requests = try imds.requests()
        let puts = requests.filter { $0.method == "PUT" }
        XCTAssertEqual(puts.count, 1, "one session token, reused")
        XCTAssertEqual(puts.first?.headers["x-aws-ec2-metadata-token-ttl-seconds"], "21600")
        for get in requests where get.method == "GET" {
            XCTAssertEqual(get.headers["x-aws-ec2-metadata-token"], "imds-session-token", get.path)
        }

        // The region comes from the instance too when nothing else sets it.
        XCTAssertEqual(try AWSConfiguration.fromEnvironment(env).region, "eu-west-3")
    }

    func testAFailedRefreshKeepsCredentialsThatAreStillValid() throws {
        let imds = try ScriptedHTTPServer()
        defer { imds.stop() }
        try imds.route("PUT", "/latest/api/token", [.init(status: 200, body: "t")])
        try imds.route("GET", "/latest/meta-data/iam/security-credentials/", [.init(status: 200, body: "role")])
        try imds.route("GET", "/latest/meta-data/iam/security-credentials/role", [
            .init(status: 200, body: Self.credentialsDocument("ASIAONLY", expiresIn: 300)),
            .init(status: 500, body: "broken"),
        ])
        let provider = InstanceMetadataCredentialsProvider(client: InstanceMetadataClient(environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.baseURL]))
        XCTAssertEqual(try provider.credentials().accessKeyID, "ASIAONLY")
        XCTAssertEqual(try provider.credentials().accessKeyID, "ASIAONLY", "the refresh failed; the old ones still hold")
    }

    func testNoMetadataServiceIsNotFoundQuickly() throws {
        let client = InstanceMetadataClient(environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:\(freeLoopbackPort())"])
        let started = Date()
        XCTAssertThrowsError(try InstanceMetadataCredentialsProvider(client: client).credentials()) {
            XCTAssertTrue($0 is AWSCredentialsNotFound, "\($0)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 3)
    }
}
