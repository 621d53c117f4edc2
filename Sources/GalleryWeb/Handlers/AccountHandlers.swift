import Foundation
import GalleryCore

/// Sign-up, email confirmation, log-in and log-out.
extension GalleryApp {
    func registerPage(_ c: Context, error: String? = nil, username: String = "", email: String = "",
                      status: Int = 200) -> Response {
        c.page("register", status: status, title: "Create an account", forms: true,
               ["error": error as Any, "username": username, "email": email])
    }

    func register(_ c: Context) throws -> Response {
        let form = try c.form()
        let username = (form.first("username") ?? "").trimmingCharacters(in: .whitespaces)
        let email = (form.first("email") ?? "").trimmingCharacters(in: .whitespaces)
        let password = form.first("password") ?? ""
        guard password == form.first("password2") ?? "" else {
            return registerPage(c, error: "The two passwords differ.", username: username, email: email, status: 422)
        }
        do {
            let result = try services.identity.signUp(username: username, email: email, password: password)
            try services.metadata.createProfile(Profile(userID: result.userID, username: username, email: email,
                                                        displayName: username, createdAt: Date()))
            logger.info("account created for user \(result.userID)")
            return .redirect("/confirm?username=\(Self.queryEscape(username))&sent=1")
        } catch GalleryError.invalid(let message) {
            return registerPage(c, error: message, username: username, email: email, status: 422)
        } catch GalleryError.conflict {
            return registerPage(c, error: "That username is taken. Choose another.", username: username,
                                email: email, status: 409)
        }
    }

    func confirmPage(_ c: Context, error: String? = nil, notice: String? = nil, status: Int = 200) -> Response {
        let username = c.request.query.first("username") ?? ""
        let sent = c.request.query.first("sent") == "1"
        return c.page("confirm", status: status, title: "Confirm your email", forms: true, [
            "username": username,
            "error": error as Any,
            "notice": notice ?? (sent ? "We sent a confirmation code to your email address." : nil) as Any,
        ])
    }

    func confirm(_ c: Context) throws -> Response {
        let form = try c.form()
        let username = (form.first("username") ?? "").trimmingCharacters(in: .whitespaces)
        let code = (form.first("code") ?? "").trimmingCharacters(in: .whitespaces)
        do {
            try services.identity.confirm(username: username, code: code)
            return .redirect("/login?confirmed=1&username=\(Self.queryEscape(username))")
        } catch GalleryError.badCode, GalleryError.invalid, GalleryError.notFound {
            return c.page("confirm", status: 400, title: "Confirm your email", forms: true, [
                "username": username, "error": "That code is wrong or has expired. Ask for a new one below.",
            ])
        }
    }

    func resendCode(_ c: Context) throws -> Response {
        let form = try c.form()
        let username = (form.first("username") ?? "").trimmingCharacters(in: .whitespaces)
        try services.identity.resendCode(username: username)
        // The same answer whether or not the account exists.
        return c.page("confirm", title: "Confirm your email", forms: true, [
            "username": username, "notice": "If that account is waiting for confirmation, a new code is on its way.",
        ])
    }

    func loginPage(_ c: Context, error: String? = nil, status: Int = 200) -> Response {
        if c.user != nil && error == nil { return .redirect("/gallery") }
        let q = c.request.query
        return c.page("login", status: status, title: "Log in", forms: true, [
            "username": q.first("username") ?? "",
            "next": Self.safeNext(q.first("next")),
            "error": error as Any,
            "notice": (q.first("confirmed") == "1" ? "Your email is confirmed. Log in." : nil) as Any,
        ])
    }

    func login(_ c: Context) throws -> Response {
        let form = try c.form()
        let username = (form.first("username") ?? "").trimmingCharacters(in: .whitespaces)
        let password = form.first("password") ?? ""
        let next = Self.safeNext(form.first("next"))
        func again(_ message: String, status: Int) -> Response {
            c.page("login", status: status, title: "Log in", forms: true,
                   ["username": username, "next": next, "error": message])
        }
        do {
            let identity = try services.identity.signIn(username: username, password: password)
            if try services.metadata.profile(userID: identity.userID) == nil {
                // An account made outside the web form (e.g. in Cognito's console): give it a profile.
                try services.metadata.createProfile(Profile(userID: identity.userID, username: identity.username,
                                                            email: identity.email, displayName: identity.username,
                                                            createdAt: Date()))
            }
            try c.signIn(identity)
            return .redirect(next)
        } catch GalleryError.badCredentials, GalleryError.invalid {
            // One message for an unknown user and a wrong password: no probing for usernames.
            return again("Wrong username or password.", status: 401)
        } catch GalleryError.notConfirmed {
            return .redirect("/confirm?username=\(Self.queryEscape(username))")
        } catch GalleryError.rateLimited {
            return again("Too many attempts. Wait a minute and try again.", status: 429)
        }
    }

    func logout(_ c: Context) throws -> Response {
        _ = try c.form()
        if let session = c.session {
            try services.identity.signOut(userID: session.userID, providerToken: session.providerToken)
        }
        try c.signOut()
        return .redirect("/")
    }

    /// Only local paths: an open redirect would let a phishing link bounce through us.
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.contains("\\"),
              !next.contains("\r"), !next.contains("\n") else { return "/gallery" }
        return next
    }

    static func queryEscape(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    }
}
