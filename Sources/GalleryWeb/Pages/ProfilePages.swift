import Foundation
import GalleryCore
import GalleryHTTP
import GalleryUseCases

/// The profile (the owner's view), password change and account removal.
struct ProfilePages {
    let accounts: Accounts
    let access: Access

    /// Whether the avatar's thumbnail exists (until then the page shows a note the script updates).
    private func avatarReady(_ user: Profile) throws -> Bool {
        guard let id = user.avatarImageID else { return false }
        do {
            return try access.ownImage(id: id, owner: user).status == .ready
        } catch GalleryError.notFound {
            return false
        }
    }

    func profilePage(_ c: Context) throws -> Response {
        let user = try c.requireUser()
        let notices = ["saved": "Saved.", "password": "Your password is changed, and every other device is signed out.",
                       "avatar": "Your new picture is being made.", "signedout": "Every other device is signed out."]
        let sessions = try accounts.sessions(of: user).map { s -> [String: Any] in
            ["device": s.device.isEmpty ? "Unknown browser" : s.device, "lastSeen": Formatting.timestamp(s.lastSeenAt),
             "since": Formatting.timestamp(s.createdAt), "current": s.idHash == c.session?.idHash]
        }
        return c.page("profile", title: "Your profile", [
            "profile": [
                "username": user.username, "email": user.email, "displayName": user.displayName,
                "bio": user.bio, "address": user.address, "phone": user.phone,
                // The picture once its thumbnail exists; until then a note the script updates.
                "avatarID": user.avatarImageID as Any,
                "avatarReady": try avatarReady(user),
                "sharePosition": user.sharePosition, "stripPositionForOthers": user.stripPositionForOthers,
                "created": Formatting.timestamp(user.createdAt),
            ],
            "visibilityOptions": PageParts.visibilityOptions(user.defaultVisibility),
            "notice": c.request.query.first("done").flatMap { notices[$0] } as Any,
            "sessions": sessions,
            "otherSessions": sessions.count > 1,
        ])
    }

    /// "Sign out of all other devices".
    func endOtherSessions(_ c: Context) throws -> Response {
        let user = try c.requireUser()
        _ = try c.form()
        try accounts.endSessions(of: user, except: c.session?.idHash)
        return .redirect("/profile?done=signedout")
    }

    func updateProfile(_ c: Context) throws -> Response {
        var user = try c.requireUser()
        let form = try c.form()
        user.displayName = try Field.displayName(form.first("displayName"))
        user.bio = try Field.bio(form.first("bio"))
        user.address = try Field.address(form.first("address"))
        user.phone = try Field.phone(form.first("phone"))
        user.defaultVisibility = try Field.visibility(form.first("defaultVisibility"), fallback: user.defaultVisibility)
        // An unticked box sends nothing, so the marker field tells "unticked" from "a form
        // without these boxes", which must not quietly turn stripping off.
        if form.first("positionChoices") == "1" {
            user.sharePosition = try Field.checkbox(form.first("sharePosition"), name: "Showing the position")
            user.stripPositionForOthers = try Field.checkbox(form.first("stripPositionForOthers"), name: "Removing the position")
        }
        try accounts.updateProfile(user)
        return .redirect("/profile?done=saved")
    }

    func changePassword(_ c: Context) throws -> Response {
        let user = try c.requireUser()
        let form = try c.form()
        let new = form.first("new") ?? ""
        guard new == form.first("new2") ?? "" else { throw FieldError("The two new passwords differ.") }
        do {
            try accounts.changePassword(user, old: form.first("old") ?? "", new: new, providerToken: c.session?.providerToken,
                                        keeping: c.session?.idHash, client: c.client())
        } catch GalleryError.badCredentials {
            throw PageError(status: 403, title: "Wrong password", message: "Your current password was not right. Nothing changed.")
        } catch GalleryError.invalid(let message) {
            throw FieldError(message)
        }
        return .redirect("/profile?done=password")
    }

    func deleteAccountPage(_ c: Context) throws -> Response {
        _ = try c.requireUser()
        return c.page("account-delete", title: "Remove your account")
    }

    func deleteAccount(_ c: Context) throws -> Response {
        let user = try c.requireUser()
        let form = try c.form()
        do {
            try accounts.requestRemoval(user, password: form.first("password") ?? "", providerToken: c.session?.providerToken,
                                        client: c.client())
        } catch GalleryError.badCredentials {
            throw PageError(status: 403, title: "Wrong password", message: "Your password was not right. Your account is untouched.")
        }
        try c.signOut()
        return c.page("account-deleted", title: "Account removed")
    }
}
