import Foundation
import GalleryCore

extension GalleryApp {
    func profilePage(_ c: Context, error: String? = nil, notice: String? = nil, status: Int = 200) throws -> Response {
        let user = try c.requireUser()
        let shownNotice: String? = notice ?? (c.request.query.first("saved") == "1" ? "Saved." : nil)
        return c.page("profile", status: status, title: "Your profile", [
            "profile": [
                "username": user.username,
                "email": user.email,
                "displayName": user.displayName,
                "created": Formatting.timestamp(user.createdAt),
            ],
            "error": error as Any,
            "notice": shownNotice as Any,
        ])
    }

    func updateProfile(_ c: Context) throws -> Response {
        let user = try c.requireUser()
        let form = try c.form()
        let displayName = (form.first("displayName") ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !displayName.isEmpty, displayName.count <= 64,
              !displayName.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            return try profilePage(c, error: "A display name has 1 to 64 characters.", status: 422)
        }
        try services.metadata.updateProfile(userID: user.userID, displayName: displayName)
        return .redirect("/profile?saved=1")
    }
}
