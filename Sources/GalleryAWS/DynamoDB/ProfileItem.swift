import Foundation
import GalleryCore

/// `Profile` ⇄ the `USER#<id>` item of the profiles table, and the keys of the items beside
/// it (`NAME#<username>`, `USAGE#<id>`).
enum ProfileItem {
    static func key(_ userID: String) -> DynamoItem { ["pk": .s("USER#" + userID)] }
    /// Usernames are one namespace whatever their case.
    static func nameKey(_ username: String) -> DynamoItem { ["pk": .s("NAME#" + username.lowercased())] }
    /// `bytes`, `images` and `albums` of the user, changed with ADD by the writes that change them.
    static func usageKey(_ userID: String) -> DynamoItem { ["pk": .s("USAGE#" + userID)] }

    static func encode(_ p: Profile) -> DynamoItem {
        var item: DynamoItem = [
            "pk": .s("USER#" + p.userID), "userID": .s(p.userID), "username": .s(p.username),
            "email": .s(p.email), "displayName": .s(p.displayName), "createdAt": .milliseconds(p.createdAt),
            "bio": .s(p.bio), "address": .s(p.address), "phone": .s(p.phone),
            "defaultVisibility": .s(p.defaultVisibility.rawValue),
            "sharePosition": .bool(p.sharePosition), "stripPositionForOthers": .bool(p.stripPositionForOthers),
        ]
        if let avatar = p.avatarImageID { item["avatarImageID"] = .s(avatar) }
        if let deletedAt = p.deletedAt { item["deletedAt"] = .milliseconds(deletedAt) }
        return item
    }

    /// Items written before profiles had details read as the defaults.
    static func decode(_ item: DynamoItem) throws -> Profile {
        let visibility = try item["defaultVisibility"].map { value -> Visibility in
            guard let v = value.string.flatMap(Visibility.init(rawValue:)) else {
                throw DynamoDecodingError("bad defaultVisibility")
            }
            return v
        }
        return Profile(userID: try item.string("userID"), username: try item.string("username"),
                       email: try item.string("email"), displayName: try item.string("displayName"),
                       createdAt: try item.date("createdAt"), bio: item["bio"]?.string ?? "",
                       address: item["address"]?.string ?? "", phone: item["phone"]?.string ?? "",
                       avatarImageID: item["avatarImageID"]?.string, defaultVisibility: visibility ?? .public,
                       deletedAt: item["deletedAt"]?.date, sharePosition: item["sharePosition"]?.bool ?? false,
                       stripPositionForOthers: item["stripPositionForOthers"]?.bool ?? true)
    }
}
