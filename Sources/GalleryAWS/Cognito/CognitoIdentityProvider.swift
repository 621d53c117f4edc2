import Foundation
import GalleryCore
import GalleryCrypto

/// Accounts in a Cognito user pool, through an app client with the USER_PASSWORD_AUTH flow.
/// Every call is signed, the public ones (SignUp, InitiateAuth, GetUser, GlobalSignOut, …)
/// too, as older SDKs did: Cognito ignores the signature there, and moto needs it to know the
/// region. Account removal (AdminDeleteUser, ListUsers) requires the IAM permission.
///
/// `Identity.providerToken` carries the username with the access and refresh tokens; it stays
/// in the server-side session and lets sign-out reach Cognito after the access token expired.
public final class CognitoIdentityProvider: IdentityProvider {
    private let client: AWSClient
    public let userPoolID: String
    public let clientID: String
    private let clientSecret: String?

    public init(client: AWSClient, userPoolID: String, clientID: String, clientSecret: String?) throws {
        guard userPoolID.contains("_"), !clientID.isEmpty else {
            throw GalleryError.invalid("Cognito needs a user pool id (region_xxxx) and an app client id")
        }
        self.client = client
        self.userPoolID = userPoolID
        self.clientID = clientID
        self.clientSecret = clientSecret.flatMap { $0.isEmpty ? nil : $0 }
    }

    // MARK: IdentityProvider

    public func signUp(username: String, email rawEmail: String, password: String) throws -> SignUpResult {
        try AccountRules.checkUsername(username)
        let email = try AccountRules.normalizedEmail(rawEmail)
        try AccountRules.checkPassword(password, username: username, email: email)
        do {
            var body: [String: Any] = ["ClientId": clientID, "Username": username, "Password": password,
                                       "UserAttributes": [["Name": "email", "Value": email]]]
            body["SecretHash"] = secretHash(username)
            let answer = try call("SignUp", body)
            guard let sub = answer["UserSub"] as? String, !sub.isEmpty else {
                throw GalleryError.unavailable("cognito SignUp: no UserSub in the answer")
            }
            let destination = (answer["CodeDeliveryDetails"] as? [String: Any])?["Destination"] as? String
            return SignUpResult(userID: sub, codeDestination: destination ?? AccountRules.masked(email))
        } catch let error as AWSError {
            switch error.code {
            case "UsernameExistsException", "AliasExistsException":
                throw GalleryError.conflict("That username is taken.")
            case "InvalidPasswordException":
                throw GalleryError.invalid("Cognito refused the password: \(error.message)")
            case "InvalidParameterException":
                throw GalleryError.invalid("Cognito refused the sign-up: \(error.message)")
            default:
                throw Self.common(error)
            }
        }
    }

    public func confirm(username: String, code: String) throws {
        guard (1...10).contains(code.count), code.allSatisfy(\.isNumber), (try? AccountRules.checkUsername(username)) != nil else {
            // A malformed code or name cannot be right; Cognito need not be asked.
            throw GalleryError.badCode
        }
        do {
            var body: [String: Any] = ["ClientId": clientID, "Username": username, "ConfirmationCode": code]
            body["SecretHash"] = secretHash(username)
            _ = try call("ConfirmSignUp", body)
        } catch let error as AWSError {
            switch error.code {
            // Unknown users and confirmed ones get the same answer as a wrong code.
            case "CodeMismatchException", "ExpiredCodeException", "UserNotFoundException", "NotAuthorizedException",
                 "AliasExistsException", "InvalidParameterException":
                throw GalleryError.badCode
            case "TooManyFailedAttemptsException":
                throw GalleryError.rateLimited
            default:
                throw Self.common(error)
            }
        }
    }

    /// Silent for unknown and already confirmed users, so the answer says nothing about them.
    public func resendCode(username: String) throws {
        guard (try? AccountRules.checkUsername(username)) != nil else { return }  // no such account can exist
        do {
            var body: [String: Any] = ["ClientId": clientID, "Username": username]
            body["SecretHash"] = secretHash(username)
            _ = try call("ResendConfirmationCode", body)
        } catch let error as AWSError {
            switch error.code {
            case "UserNotFoundException", "InvalidParameterException", "NotAuthorizedException":
                return
            default:
                throw Self.common(error)
            }
        }
    }

    public func signIn(username: String, password: String) throws -> Identity {
        guard (try? AccountRules.checkUsername(username)) != nil, !password.isEmpty, password.count <= 256 else {
            // No such account can exist, or no password was given: the same answer as a wrong one.
            throw GalleryError.badCredentials
        }
        let tokens: Tokens
        do {
            var parameters = ["USERNAME": username, "PASSWORD": password]
            if let hash = secretHash(username) { parameters["SECRET_HASH"] = hash }
            let answer = try call("InitiateAuth", ["ClientId": clientID, "AuthFlow": "USER_PASSWORD_AUTH",
                                                   "AuthParameters": parameters])
            if let challenge = answer["ChallengeName"] as? String {
                throw GalleryError.unavailable("cognito InitiateAuth: the pool asks for \(challenge), which this site does not support")
            }
            let result = answer["AuthenticationResult"] as? [String: Any]
            guard let access = result?["AccessToken"] as? String, let refresh = result?["RefreshToken"] as? String else {
                throw GalleryError.unavailable("cognito InitiateAuth: no tokens in the answer")
            }
            tokens = Tokens(username: username, access: access, refresh: refresh)
        } catch let error as AWSError {
            throw Self.signInError(error)
        }
        do {
            let user = try call("GetUser", ["AccessToken": tokens.access])
            var attributes: [String: String] = [:]
            for attribute in (user["UserAttributes"] as? [[String: Any]]) ?? [] {
                if let name = attribute["Name"] as? String, let value = attribute["Value"] as? String { attributes[name] = value }
            }
            guard let sub = attributes["sub"], let email = attributes["email"] else {
                throw GalleryError.unavailable("cognito GetUser: the user has no sub or email attribute")
            }
            let name = (user["Username"] as? String) ?? username
            var stored = tokens
            stored.username = name
            return Identity(userID: sub, username: name, email: email, providerToken: stored.encoded)
        } catch let error as AWSError {
            throw Self.common(error)
        }
    }

    /// GlobalSignOut with the session's access token; an expired one is renewed with the
    /// refresh token first. A refresh token Cognito no longer accepts means there is nothing
    /// left to sign out of.
    public func signOut(userID: String, providerToken: String?) throws {
        do {
            guard let tokens = providerToken.flatMap(Tokens.init(encoded:)) else {
                guard let username = try username(ofSub: userID) else { return }
                _ = try call("AdminUserGlobalSignOut", ["UserPoolId": userPoolID, "Username": username])
                return
            }
            do {
                _ = try call("GlobalSignOut", ["AccessToken": tokens.access])
            } catch let error as AWSError where error.code == "NotAuthorizedException" {
                guard let access = try refreshedAccessToken(tokens) else { return }
                _ = try call("GlobalSignOut", ["AccessToken": access])
            }
        } catch let error as AWSError {
            if error.code == "UserNotFoundException" { return }
            throw Self.common(error)
        }
    }

    /// AdminDeleteUser, so that it works after sign-out too; an account already gone is fine.
    public func deleteAccount(userID: String, providerToken: String?) throws {
        do {
            let known = providerToken.flatMap(Tokens.init(encoded:))?.username
            guard let username = try known ?? username(ofSub: userID) else { return }
            _ = try call("AdminDeleteUser", ["UserPoolId": userPoolID, "Username": username])
        } catch let error as AWSError {
            if error.code == "UserNotFoundException" { return }
            throw Self.common(error)
        }
    }

    /// ChangePassword with the session's access token (renewed first if it has expired).
    public func changePassword(userID: String, username: String, oldPassword: String, newPassword: String,
                               providerToken: String?) throws {
        try AccountRules.checkPassword(newPassword, username: username, email: "")
        guard let tokens = providerToken.flatMap(Tokens.init(encoded:)) else { throw GalleryError.badCredentials }
        func change(_ access: String) throws {
            _ = try call("ChangePassword", ["AccessToken": access, "PreviousPassword": oldPassword,
                                            "ProposedPassword": newPassword])
        }
        do {
            do {
                try change(tokens.access)
            } catch let error as AWSError where error.code == "NotAuthorizedException" && error.message.lowercased().contains("token") {
                guard let access = try refreshedAccessToken(tokens) else { throw GalleryError.badCredentials }
                try change(access)
            }
        } catch let error as AWSError {
            switch error.code {
            case "NotAuthorizedException": throw GalleryError.badCredentials
            case "InvalidPasswordException": throw GalleryError.invalid("Cognito refused the new password: \(error.message)")
            default: throw Self.common(error)
            }
        }
    }

    // MARK: Helpers

    /// What the session keeps of a sign-in.
    struct Tokens: Codable {
        var username: String
        var access: String
        var refresh: String

        var encoded: String {
            // Encoding three strings cannot fail.
            Encoding.base64URL(Array((try? JSONEncoder().encode(self)) ?? Data()))
        }

        init(username: String, access: String, refresh: String) {
            self.username = username
            self.access = access
            self.refresh = refresh
        }

        init?(encoded: String) {
            guard let bytes = Encoding.base64URLDecode(encoded),
                  let value = try? JSONDecoder().decode(Tokens.self, from: Data(bytes)) else { return nil }  // not ours: no token
            self = value
        }
    }

    func refreshedAccessToken(_ tokens: Tokens) throws -> String? {
        var parameters = ["REFRESH_TOKEN": tokens.refresh]
        if let hash = secretHash(tokens.username) { parameters["SECRET_HASH"] = hash }
        do {
            let answer = try call("InitiateAuth", ["ClientId": clientID, "AuthFlow": "REFRESH_TOKEN_AUTH",
                                                   "AuthParameters": parameters])
            return (answer["AuthenticationResult"] as? [String: Any])?["AccessToken"] as? String
        } catch let error as AWSError where error.code == "NotAuthorizedException" {
            return nil
        }
    }

    /// The username of a user id (Cognito's `sub`), through ListUsers.
    private func username(ofSub sub: String) throws -> String? {
        guard sub.allSatisfy({ $0.isHexDigit || $0 == "-" }) else { return nil }  // not a sub: no such user
        let answer = try call("ListUsers", ["UserPoolId": userPoolID, "Filter": "sub = \"\(sub)\"", "Limit": 1])
        return ((answer["Users"] as? [[String: Any]])?.first?["Username"]) as? String
    }

    /// Base64(HMAC-SHA256(client secret, username + client id)), when the app client has a secret.
    func secretHash(_ username: String) -> String? {
        guard let clientSecret else { return nil }
        return Data(HMAC.sha256(key: Array(clientSecret.utf8), message: Array((username + clientID).utf8))).base64EncodedString()
    }

    private func call(_ operation: String, _ body: [String: Any]) throws -> [String: Any] {
        try client.json(.cognito, target: "AWSCognitoIdentityProviderService", operation, version: "1.1", body)
    }

    private static func signInError(_ error: AWSError) -> GalleryError {
        switch error.code {
        case "NotAuthorizedException" where error.message.lowercased().contains("attempts exceeded"):
            return .rateLimited
        case "NotAuthorizedException", "UserNotFoundException", "PasswordResetRequiredException", "InvalidParameterException":
            return .badCredentials
        case "UserNotConfirmedException":
            return .notConfirmed
        default:
            return common(error)
        }
    }

    /// Rate limits are the user's to see; everything else is the site's problem (503).
    private static func common(_ error: AWSError) -> GalleryError {
        switch error.code {
        case "TooManyRequestsException", "LimitExceededException", "TooManyFailedAttemptsException":
            return .rateLimited
        default:
            return error.unavailable
        }
    }
}
