import Foundation

/// What the catalog accepts, and how text becomes search terms: one set of rules for every
/// `CatalogStore`, so that both backends refuse the same input and index the same terms
/// (`CatalogStoreConformance` checks that they answer alike). The limits are the ones the
/// forms enforce (`Field`), which normalises and validates first: these checks only refuse what
/// should never reach a store.
public enum CatalogRules {
    public static let maxTitle = 200
    public static let maxDescription = 5000
    public static let maxTags = 30
    public static let maxTagLength = 32
    public static let maxDisplayName = 64
    public static let maxBio = 2000
    public static let maxAddress = 500
    public static let maxPhone = 40
    /// Longer runs of letters are not words anyone searches for (and would make oversized
    /// DynamoDB keys): they are not indexed, and a search for one finds nothing.
    public static let maxTermLength = 64
    /// Words and camera words in one search.
    public static let maxSearchTerms = 16
    /// Albums one photo may be in (DynamoDB removes a photo from all of them in one
    /// transaction of at most 100 writes).
    public static let maxAlbumsPerImage = 40

    public static func checkDetails(title: String, description: String, tags: [String]) throws {
        guard title.count <= maxTitle else { throw GalleryError.invalid("A title has at most \(maxTitle) characters.") }
        guard description.count <= maxDescription else {
            throw GalleryError.invalid("A description has at most \(maxDescription) characters.")
        }
        guard tags.count <= maxTags else { throw GalleryError.invalid("A photo has at most \(maxTags) tags.") }
        guard tags.allSatisfy(isNormalisedTag) else {
            throw GalleryError.invalid("Tags are 1–\(maxTagLength) lower-case letters of any script, digits, '-' or '_'.")
        }
        guard Set(tags).count == tags.count else { throw GalleryError.invalid("A tag is given twice.") }
    }

    /// Lower-case in normal form C, 1–32 letters of any script, digits, '-' and '_' (see
    /// `ImageRecord.tags`; `Field.normalisedTag` makes one from what someone typed).
    public static func isNormalisedTag(_ tag: String) -> Bool {
        (1...maxTagLength).contains(tag.count)
            && tag == tag.lowercased()
            && tag == tag.precomposedStringWithCanonicalMapping
            && tag.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }
    }

    public static func checkAlbum(title: String, description: String) throws {
        guard (1...maxTitle).contains(title.count) else {
            throw GalleryError.invalid("An album's title has 1–\(maxTitle) characters.")
        }
        guard description.count <= maxDescription else {
            throw GalleryError.invalid("A description has at most \(maxDescription) characters.")
        }
    }

    public static func checkProfile(_ p: Profile) throws {
        guard p.displayName.count <= maxDisplayName, p.bio.count <= maxBio, p.address.count <= maxAddress,
              p.phone.count <= maxPhone else {
            throw GalleryError.invalid("""
                Display name, bio, address and phone have at most \(maxDisplayName), \(maxBio), \
                \(maxAddress) and \(maxPhone) characters.
                """)
        }
    }

    /// An encrypted photo has nothing the public could look at.
    public static func checkVisibility(_ visibility: Visibility, encrypted: Bool) throws {
        if encrypted && visibility == .public { throw GalleryError.invalid("An encrypted photo cannot be public.") }
    }

    /// Share tokens are `Identifiers.shareToken()`s.
    public static func checkShareToken(_ token: String?) throws {
        if let token, !Identifiers.isShareToken(token) { throw GalleryError.invalid("A share token is 32 characters of base64url.") }
    }

    // MARK: Search terms

    /// The words of a text: maximal runs of letters and digits, lower-cased, in Unicode
    /// normal form C, each once. "Sunset-over_the SEA!" → sunset, over, the, sea.
    public static func words(_ text: String) -> [String] {
        var seen = Set<String>(), result: [String] = []
        for word in rawWords(text) where word.count <= maxTermLength && seen.insert(word).inserted {
            result.append(word)
        }
        return result
    }

    private static func rawWords(_ text: String) -> [String] {
        text.lowercased().precomposedStringWithCanonicalMapping
            .split { !($0.isLetter || $0.isNumber) }
            .map(String.init)
    }

    /// The terms under which an image is found: `t:<tag>`, `w:<word of title or
    /// description>`, `c:<word of camera make or model>`, and `encryptedTerm` for an encrypted
    /// photo (set at upload, never changed; never public, so only its owner finds it by that).
    /// Dates are no terms.
    public static func terms(of image: ImageRecord) -> Set<String> {
        let metadata = image.derivatives?.metadata
        var terms = terms(tags: image.tags, title: image.title, description: image.description,
                          cameraMake: metadata?.cameraMake, cameraModel: metadata?.cameraModel)
        if image.encrypted { terms.insert(encryptedTerm) }
        return terms
    }

    /// The term of every encrypted photo (`SearchQuery.encryptedOnly`).
    public static let encryptedTerm = "e:encrypted"

    public static func terms(tags: [String], title: String, description: String, cameraMake: String?,
                      cameraModel: String?) -> Set<String> {
        var terms = Set(tags.map { "t:" + $0 })
        for word in words(title + " " + description) { terms.insert("w:" + word) }
        for word in words((cameraMake ?? "") + " " + (cameraModel ?? "")) { terms.insert("c:" + word) }
        return terms
    }

    /// The terms every match must have, or nil when nothing can match (an empty query, a tag
    /// that is not normalised, a word too long to be indexed, encrypted photos outside their
    /// owner's scope). `.invalid` for too many words.
    public static func terms(of query: SearchQuery, scope: Scope) throws -> [String]? {
        var terms: [String] = []
        if query.encryptedOnly { terms.append(encryptedTerm) }
        if let tag = query.tag {
            guard isNormalisedTag(tag) else { return nil }
            terms.append("t:" + tag)
        }
        let words = query.words.flatMap(rawWords).map { "w:" + $0 } + rawWords(query.camera ?? "").map { "c:" + $0 }
        guard words.allSatisfy({ $0.count - 2 <= maxTermLength }) else { return nil }
        for word in words where !terms.contains(word) { terms.append(word) }
        guard terms.count <= maxSearchTerms + 1 + (query.encryptedOnly ? 1 : 0) else {
            throw GalleryError.invalid("A search has at most \(maxSearchTerms) words.")
        }
        if terms.isEmpty && query.takenFrom == nil && query.takenTo == nil { return nil }
        if query.encryptedOnly {
            // Encrypted photos are never public: only their owner's searches can find them.
            guard case .owner = scope else { return nil }
        }
        return terms
    }
}
