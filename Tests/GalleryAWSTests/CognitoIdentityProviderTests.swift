import Foundation
@testable import GalleryAWS
import GalleryCore
import GalleryMoto
import GalleryTestSupport
import XCTest

/// Cognito on moto_server, what only Cognito does: the secret hash, token refresh, account
/// removal, and the request shapes checked against botocore's model of the service. What every
/// identity provider does is GalleryConformanceTests' IdentityProviderConformance.
final class CognitoIdentityProviderTests: MotoTestCase {
    private var client: AWSClient!
    private var provider: CognitoIdentityProvider!
    private var pool = ""
    private var clientID = ""
    private var secret = ""

    override func setUpWithError() throws {
        let moto = try self.moto
        try moto.reset()
        client = try moto.client()
        (pool, clientID, secret) = try MotoServer.makeUserPool(client)
        provider = try CognitoIdentityProvider(client: client, userPoolID: pool, clientID: clientID, clientSecret: secret)
    }

    // MARK: Cognito only

    func testSecretHashKnownAnswer() throws {
        let provider = try CognitoIdentityProvider(client: client, userPoolID: "eu-central-1_x", clientID: "3n4b5urk1ft4fl3mg5e62d9ado",
                                                   clientSecret: "1example23456789secret0abcdefghijklmnopqrstuv")
        // Python: base64(hmac.new(secret, username + client_id, sha256).digest())
        XCTAssertEqual(provider.secretHash("zoe.user"), "b0djcvVxqPNrq/lBy8KDuV7v97ZPTiU/p5Vz8Q4bGjg=")
        XCTAssertNil(try CognitoIdentityProvider(client: client, userPoolID: "eu-central-1_x", clientID: "c", clientSecret: "").secretHash("u"))
    }

    private func confirmedUser(_ name: String) throws -> Identity {
        _ = try provider.signUp(username: name, email: "\(name)@example.com", password: "correct horse battery")
        try provider.confirm(username: name, code: "123456")
        return try provider.signIn(username: name, password: "correct horse battery")
    }

    /// moto checks SECRET_HASH on refresh: the right secret renews, a wrong one is refused.
    func testRefreshUsesTheSecretHash() throws {
        let identity = try confirmedUser("henry")
        let tokens = try XCTUnwrap(identity.providerToken.flatMap(CognitoIdentityProvider.Tokens.init(encoded:)))
        XCTAssertEqual(tokens.username, "henry")
        XCTAssertNotNil(try provider.refreshedAccessToken(tokens))
        let wrong = try CognitoIdentityProvider(client: client, userPoolID: pool, clientID: clientID, clientSecret: secret + "x")
        XCTAssertNil(try wrong.refreshedAccessToken(tokens))
    }

    /// An access token that no longer works is renewed with the refresh token, and then every
    /// token of the user is revoked.
    func testSignOutAfterTheAccessTokenExpired() throws {
        let identity = try confirmedUser("irene")
        var tokens = try XCTUnwrap(identity.providerToken.flatMap(CognitoIdentityProvider.Tokens.init(encoded:)))
        let original = tokens.access
        tokens.access = "expired-access-token"
        try provider.signOut(userID: identity.userID, providerToken: tokens.encoded)
        XCTAssertThrowsError(try client.json(.cognito, target: "AWSCognitoIdentityProviderService", "GetUser", version: "1.1",
                                             ["AccessToken": original])) {
            XCTAssertEqual(($0 as? AWSError)?.code, "NotAuthorizedException")
            XCTAssertFalse("\($0)".contains(original), "tokens never reach an error message")
        }
        XCTAssertNil(try provider.refreshedAccessToken(tokens), "the refresh token is revoked too")
        try provider.signOut(userID: identity.userID, providerToken: tokens.encoded)  // nothing left: still fine
    }

    func testDeleteAccountWithoutATokenFindsTheUserBySub() throws {
        let identity = try confirmedUser("jack")
        try provider.deleteAccount(userID: identity.userID, providerToken: nil)
        expectError(.badCredentials) { try provider.signIn(username: "jack", password: "correct horse battery") }
        try provider.deleteAccount(userID: identity.userID, providerToken: nil)  // already gone: fine
        try provider.signOut(userID: identity.userID, providerToken: nil)
    }

    func testUnconfirmedSignInAndRightCodeForConfirmedUser() throws {
        _ = try provider.signUp(username: "kate", email: "kate@example.com", password: "correct horse battery")
        expectError(.notConfirmed) { try provider.signIn(username: "kate", password: "correct horse battery") }
        expectError(.badCredentials, "wrong password of an unconfirmed user") {
            try provider.signIn(username: "kate", password: "not the password")
        }
        expectError(.badCode, "malformed code, Cognito not asked") { try provider.confirm(username: "kate", code: "12a456") }
    }

    // MARK: Request shapes

    /// Every request body validates against botocore's model of cognito-idp, and every call is
    /// signed (a scripted server records them).
    func testRequestsMatchTheServiceModel() throws {
        let server = try ScriptedHTTPServer()
        defer { server.stop() }
        try server.route("POST", "/", [.init(status: 200, headers: ["Content-Type": "application/x-amz-json-1.1"], body: """
            {"UserSub":"0f1e2d3c-aaaa-bbbb-cccc-1234567890ab","CodeDeliveryDetails":{"Destination":"z***@e***"},
             "Users":[{"Username":"zoe"}]}
            """)])
        let scripted = AWSClient(configuration: AWSConfiguration(
            region: "eu-central-1", credentials: StaticCredentialsProvider(AWSCredentials(accessKeyID: "AKIATEST", secretAccessKey: "s")),
            endpointOverrides: [.cognito: try AWSEndpoint(url: server.baseURL)], retry: RetryPolicy(maxAttempts: 1)))
        let provider = try CognitoIdentityProvider(client: scripted, userPoolID: "eu-central-1_abcdef", clientID: "client123",
                                                   clientSecret: "secret456")
        _ = try provider.signUp(username: "zoe", email: "zoe@example.com", password: "correct horse battery")
        try provider.confirm(username: "zoe", code: "123456")
        try provider.resendCode(username: "zoe")
        try provider.signOut(userID: "0f1e2d3c-aaaa-bbbb-cccc-1234567890ab",
                             providerToken: CognitoIdentityProvider.Tokens(username: "zoe", access: "a", refresh: "r").encoded)
        try provider.deleteAccount(userID: "0f1e2d3c-aaaa-bbbb-cccc-1234567890ab", providerToken: nil)

        let requests = try server.requests()
        let operations = requests.map { ($0.headers["x-amz-target"] ?? "").replacingOccurrences(of: "AWSCognitoIdentityProviderService.", with: "") }
        XCTAssertEqual(operations, ["SignUp", "ConfirmSignUp", "ResendConfirmationCode", "GlobalSignOut", "ListUsers", "AdminDeleteUser"])
        for (operation, request) in zip(operations, requests) {
            XCTAssertNotNil(request.headers["authorization"], operation)
            XCTAssertEqual(request.headers["content-type"], "application/x-amz-json-1.1")
        }
        let bodies = requests.map { String(decoding: Data(base64Encoded: $0.body) ?? Data(), as: UTF8.self) }
        XCTAssertTrue(bodies[0].contains(#""SecretHash":"#), bodies[0])
        XCTAssertTrue(bodies[2].contains(#""SecretHash":"#), bodies[2])
        try validateAgainstBotocore(Array(zip(operations, bodies)))
    }

    private func validateAgainstBotocore(_ calls: [(String, String)]) throws {
        guard let python = executable("python3") else { throw missingTool("python3 is not installed") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [try temporaryScript("validate_cognito.py", #"""
            import json, sys
            import botocore.session
            from botocore.validate import ParamValidator
            model = botocore.session.get_session().get_service_model("cognito-idp")
            problems = []
            for operation, body in json.load(sys.stdin):
                report = ParamValidator().validate(json.loads(body), model.operation_model(operation).input_shape)
                if report.has_errors():
                    problems.append(operation + ": " + report.generate_report())
            print("\n".join(problems))
            sys.exit(1 if problems else 0)
            """#)]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        input.fileHandleForWriting.write(try JSONSerialization.data(withJSONObject: calls.map { [$0.0, $0.1] }))
        try input.fileHandleForWriting.close()
        let report = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, report)
    }
}
