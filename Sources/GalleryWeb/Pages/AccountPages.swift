import Foundation
import GalleryCore
import GalleryHTTP
import GalleryUseCases

/// Sign-up, email confirmation, log-in and log-out.
struct AccountPages {
    let accounts: Accounts

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
            try accounts.register(username: username, email: email, password: password, client: c.client())
            return .redirect("/confirm?username=\(PageParts.queryEscape(username))&sent=1")
        } catch GalleryError.invalid(let message) {
            return registerPage(c, error: message, username: username, email: email, status: 422)
        } catch GalleryError.conflict {
            return registerPage(c, error: "That username is taken. Choose another.", username: username,
                                email: email, status: 409)
        } catch GalleryError.rateLimited {
            return registerPage(c, error: Self.tooMany, username: username, email: email, status: 429)
        }
    }

    func confirmPage(_ c: Context) -> Response {
        let username = c.request.query.first("username") ?? ""
        let sent = c.request.query.first("sent") == "1"
        return c.page("confirm", title: "Confirm your email", forms: true, [
            "username": username,
            "notice": (sent ? "We sent a confirmation code to your email address." : nil) as Any,
        ])
    }

    func confirm(_ c: Context) throws -> Response {
        let form = try c.form()
        let username = (form.first("username") ?? "").trimmingCharacters(in: .whitespaces)
        let code = (form.first("code") ?? "").trimmingCharacters(in: .whitespaces)
        do {
            try accounts.confirm(username: username, code: code, client: c.client(trying: username))
            return .redirect("/login?confirmed=1&username=\(PageParts.queryEscape(username))")
        } catch GalleryError.badCode, GalleryError.invalid, GalleryError.notFound {
            return c.page("confirm", status: 400, title: "Confirm your email", forms: true, [
                "username": username, "error": "That code is wrong or has expired. Ask for a new one below.",
            ])
        } catch GalleryError.rateLimited {
            return c.page("confirm", status: 429, title: "Confirm your email", forms: true,
                          ["username": username, "error": Self.tooMany])
        }
    }

    func resendCode(_ c: Context) throws -> Response {
        let form = try c.form()
        let username = (form.first("username") ?? "").trimmingCharacters(in: .whitespaces)
        do {
            try accounts.resendCode(username: username, client: c.client(trying: username))
        } catch GalleryError.rateLimited {
            return c.page("confirm", status: 429, title: "Confirm your email", forms: true, [
                "username": username, "error": "A code was sent several times already. Wait an hour for a new one, or use the last one you got.",
            ])
        }
        // The same answer whether or not the account exists.
        return c.page("confirm", title: "Confirm your email", forms: true, [
            "username": username, "notice": "If that account is waiting for confirmation, a new code is on its way.",
        ])
    }

    func loginPage(_ c: Context) -> Response {
        if c.user != nil { return .redirect("/gallery") }
        let q = c.request.query
        return c.page("login", title: "Log in", forms: true, [
            "username": q.first("username") ?? "",
            "next": PageParts.safeNext(q.first("next")),
            "notice": (q.first("confirmed") == "1" ? "Your email is confirmed. Log in." : nil) as Any,
        ])
    }

    func login(_ c: Context) throws -> Response {
        let form = try c.form()
        let username = (form.first("username") ?? "").trimmingCharacters(in: .whitespaces)
        let next = PageParts.safeNext(form.first("next"))
        func again(_ message: String, status: Int) -> Response {
            c.page("login", status: status, title: "Log in", forms: true,
                   ["username": username, "next": next, "error": message])
        }
        do {
            try c.signIn(try accounts.signIn(username: username, password: form.first("password") ?? "",
                                             client: c.client(trying: username)))
            return .redirect(next)
        } catch GalleryError.badCredentials, GalleryError.invalid {
            // One message for an unknown user and a wrong password: no probing for usernames.
            return again("Wrong username or password.", status: 401)
        } catch GalleryError.notConfirmed {
            return .redirect("/confirm?username=\(PageParts.queryEscape(username))")
        } catch GalleryError.rateLimited {
            return again(Self.tooMany, status: 429)
        }
    }

    static let tooMany = "There were too many attempts from here or on this account. Wait a few minutes, then try again."

    func logout(_ c: Context) throws -> Response {
        _ = try c.form()
        if let session = c.session {
            try accounts.signOut(userID: session.userID, providerToken: session.providerToken)
        }
        try c.signOut()
        return .redirect("/")
    }
}
