import GalleryCore

/// Where a photo was taken is the owner's to give: others see the position only if the owner
/// shares it (`Profile.sharePosition`), and download the original without it unless the owner
/// allows it (`Profile.stripPositionForOthers`, on by default).
public enum PositionPrivacy {
    /// How the position is labelled for the viewer, or nil when they must not see it.
    public static func positionLabel(viewerIsOwner: Bool, owner: Profile?) -> String? {
        let shared = owner?.sharePosition == true
        if viewerIsOwner { return shared ? "Position (shared, see your profile)" : "Position (only you see this)" }
        return shared ? "Position" : nil
    }

    /// What the viewer downloads as the original; nil when nothing may be given to them. An
    /// owner whose profile cannot be found counts as stripping.
    public static func original(of image: ImageRecord, viewerIsOwner: Bool, owner: Profile?) -> Download? {
        if viewerIsOwner || owner?.stripPositionForOthers == false { return .asUploaded(image.originalKey) }
        switch image.derivatives?.originalForOthers {
        case .original?: return .asUploaded(image.originalKey)
        case .copy(let key, _)?: return .withoutPosition(key)
        case .withheld?, nil: return nil
        }
    }

    public enum Download: Equatable, Sendable {
        case asUploaded(String)
        case withoutPosition(String)

        public var key: String {
            switch self {
            case .asUploaded(let key), .withoutPosition(let key): return key
            }
        }
    }
}
