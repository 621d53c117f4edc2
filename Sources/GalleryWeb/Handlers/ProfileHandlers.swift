import Foundation
import GalleryCore

/// The profile (the owner's view), password change and account removal.
extension GalleryApp {
    func profilePage(_ c: Context) throws -> Response {
        let user = try c.requireUser()
        let notices = ["saved": "Saved.", "password": "Your password is changed.", "avatar": "Your new picture is being made."]
        return c.page("profile", title: "Your profile", [
            "profile": [
                "username": user.username, "email": user.email, "displayName": user.displayName,
                "bio": user.bio, "address": user.address, "phone": user.phone,
                // The picture once its thumbnail exists; until then a note the script updates.
                "avatarID": user.avatarImageID as Any,
                "avatarReady": try user.avatarImageID.flatMap { try services.metadata.image(id: $0) }?.status == .ready,
                "sharePosition": user.sharePosition, "stripPositionForOthers": user.stripPositionForOthers,
                "created": Formatting.timestamp(user.createdAt),
            ],
            "visibilityOptions": Self.visibilityOptions(user.defaultVisibility),
            "notice": c.request.query.first("done").flatMap { notices[$0] } as Any,
        ])
    }

    func updateProfile(_ c: Context) throws -> Response {
        var user = try c.requireUser()
        let form = try c.form()
        user.displayName = try Field.line(form.first("displayName"), name: "A display name", max: 64, required: true)
        user.bio = try Field.text(form.first("bio"), name: "The bio", max: 2000)
        user.address = try Field.text(form.first("address"), name: "The address", max: 500)
        user.phone = try Field.line(form.first("phone"), name: "The phone number", max: 40)
        user.defaultVisibility = try Field.visibility(form.first("defaultVisibility"), fallback: user.defaultVisibility)
        // An unticked box sends nothing, so the marker field tells "unticked" from "a form
        // without these boxes", which must not quietly turn stripping off.
        if form.first("positionChoices") == "1" {
            user.sharePosition = try Field.checkbox(form.first("sharePosition"), name: "Showing the position")
            user.stripPositionForOthers = try Field.checkbox(form.first("stripPositionForOthers"), name: "Removing the position")
        }
        try services.catalog.updateProfileDetails(user)
        return .redirect("/profile?done=saved")
    }

    func changePassword(_ c: Context) throws -> Response {
        let user = try c.requireUser()
        let form = try c.form()
        let new = form.first("new") ?? ""
        guard new == form.first("new2") ?? "" else {
            throw PageError(status: 422, title: "Check the form", message: "The two new passwords differ.")
        }
        do {
            try services.identity.changePassword(userID: user.userID, username: user.username,
                                                 oldPassword: form.first("old") ?? "", newPassword: new,
                                                 providerToken: c.session?.providerToken)
        } catch GalleryError.badCredentials {
            throw PageError(status: 403, title: "Wrong password", message: "Your current password was not right. Nothing changed.")
        }
        return .redirect("/profile?done=password")
    }

    func deleteAccountPage(_ c: Context) throws -> Response {
        _ = try c.requireUser()
        return c.page("account-delete", title: "Remove your account")
    }

    /// After the password is typed again: from this request on nothing of the user is served
    /// (tombstone, sessions gone, account gone at the identity provider); a job deletes the
    /// photos, derivatives, albums and profile.
    func deleteAccount(_ c: Context) throws -> Response {
        let user = try c.requireUser()
        let form = try c.form()
        do {
            _ = try services.identity.signIn(username: user.username, password: form.first("password") ?? "")
        } catch GalleryError.badCredentials {
            throw PageError(status: 403, title: "Wrong password", message: "Your password was not right. Your account is untouched.")
        }
        let providerToken = c.session?.providerToken
        try services.catalog.markDeleted(userID: user.userID, at: Date())
        try services.identity.deleteAccount(userID: user.userID, providerToken: providerToken)
        try services.jobs.enqueue(imageID: user.userID, kind: .deleteAccount, availableAt: Date())
        try c.signOut()
        logger.info("account \(user.userID) removed by its owner; deletion job queued")
        return c.page("account-deleted", title: "Account removed")
    }
}
