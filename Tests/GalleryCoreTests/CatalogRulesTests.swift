import Foundation
import GalleryCore
import Testing

/// `CatalogRules`' public behaviour: the limits at their edges (written through the rules' own
/// constants, so that moving a limit moves the test with it), tag and share-token shapes, and
/// the search terms of images and queries. (That the forms' `Field` rules agree with these
/// limits is RuleHomesTests'.)
@Suite struct CatalogRulesTests {
    private func text(_ count: Int, _ character: Character = "a") -> String { String(repeating: character, count: count) }

    /// The message of the `.invalid` error `body` throws, or nil if it throws nothing.
    private func refusal(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch GalleryError.invalid(let message) {
            return message
        } catch {
            Issue.record("not an .invalid error: \(error)")
            return "\(error)"
        }
    }

    // MARK: Photo details

    @Test func detailsWithinTheLimitsAreAccepted() throws {
        try CatalogRules.checkDetails(title: "", description: "", tags: [])
        try CatalogRules.checkDetails(title: text(CatalogRules.maxTitle), description: text(CatalogRules.maxDescription),
                                      tags: (0..<CatalogRules.maxTags).map { "tag\($0)" })
        // Characters, not bytes: an accented letter counts once.
        try CatalogRules.checkDetails(title: text(CatalogRules.maxTitle, "é"), description: text(CatalogRules.maxDescription, "🌅"),
                                      tags: [])
    }

    @Test func detailsOverTheLimitsAreRefused() {
        #expect(refusal { try CatalogRules.checkDetails(title: text(CatalogRules.maxTitle + 1), description: "", tags: []) }?
            .contains("title") == true)
        #expect(refusal { try CatalogRules.checkDetails(title: "", description: text(CatalogRules.maxDescription + 1), tags: []) }?
            .contains("description") == true)
        #expect(refusal {
            try CatalogRules.checkDetails(title: "", description: "", tags: (0...CatalogRules.maxTags).map { "tag\($0)" })
        }?.contains("tags") == true)
        #expect(refusal { try CatalogRules.checkDetails(title: "", description: "", tags: ["sea", "sky", "sea"]) }?
            .contains("twice") == true)
        #expect(refusal { try CatalogRules.checkDetails(title: "", description: "", tags: ["Sea"]) } != nil)
    }

    @Test(arguments: ["a", "sunset", "new-york", "snake_case", "2026", "été", "東京", String(repeating: "x", count: 32)])
    func normalisedTags(_ tag: String) {
        #expect(CatalogRules.isNormalisedTag(tag))
    }

    @Test(arguments: ["", "Sunset", "SEA", "two words", "a/b", "a.b", "#tag", "<b>", "tab\t",
                      "e\u{301}te",  // decomposed é: only normal form C is a tag
                      String(repeating: "x", count: 33)])
    func tagsThatAreNotNormalised(_ tag: String) {
        #expect(!CatalogRules.isNormalisedTag(tag))
        #expect(refusal { try CatalogRules.checkDetails(title: "", description: "", tags: [tag]) } != nil)
    }

    // MARK: Albums, profiles, visibility

    @Test func albumTitleHasOneToMaxCharacters() {
        #expect(refusal { try CatalogRules.checkAlbum(title: "", description: "") }?.contains("title") == true)
        #expect(refusal { try CatalogRules.checkAlbum(title: "a", description: "") } == nil)
        #expect(refusal { try CatalogRules.checkAlbum(title: text(CatalogRules.maxTitle), description: text(CatalogRules.maxDescription)) } == nil)
        #expect(refusal { try CatalogRules.checkAlbum(title: text(CatalogRules.maxTitle + 1), description: "") } != nil)
        #expect(refusal { try CatalogRules.checkAlbum(title: "a", description: text(CatalogRules.maxDescription + 1)) }?
            .contains("description") == true)
    }

    private func profile(displayName: String = "", bio: String = "", address: String = "", phone: String = "") -> Profile {
        Profile(userID: "u1", username: "ann", email: "ann@example.com", displayName: displayName,
                createdAt: Date(timeIntervalSince1970: 0), bio: bio, address: address, phone: phone)
    }

    @Test func profileFieldsAtTheirLimitsAreAccepted() {
        #expect(refusal {
            try CatalogRules.checkProfile(profile(displayName: text(CatalogRules.maxDisplayName), bio: text(CatalogRules.maxBio),
                                                  address: text(CatalogRules.maxAddress), phone: text(CatalogRules.maxPhone)))
        } == nil)
    }

    @Test(arguments: ["displayName", "bio", "address", "phone"])
    func profileFieldOverItsLimitIsRefused(_ field: String) {
        let over: Profile
        switch field {
        case "displayName": over = profile(displayName: text(CatalogRules.maxDisplayName + 1))
        case "bio": over = profile(bio: text(CatalogRules.maxBio + 1))
        case "address": over = profile(address: text(CatalogRules.maxAddress + 1))
        default: over = profile(phone: text(CatalogRules.maxPhone + 1))
        }
        let message = refusal { try CatalogRules.checkProfile(over) }
        #expect(message?.contains("at most") == true, "\(field): \(message ?? "accepted")")
    }

    @Test func anEncryptedPhotoCannotBePublic() {
        #expect(refusal { try CatalogRules.checkVisibility(.public, encrypted: true) }?.contains("encrypted") == true)
        for visibility in [Visibility.unlisted, .private] {
            #expect(refusal { try CatalogRules.checkVisibility(visibility, encrypted: true) } == nil)
        }
        for visibility in [Visibility.public, .unlisted, .private] {
            #expect(refusal { try CatalogRules.checkVisibility(visibility, encrypted: false) } == nil)
        }
    }

    // MARK: Share tokens

    /// A stored share token is one `Identifiers.shareToken()` made: 32 characters of base64url.
    @Test(arguments: [Identifiers.shareToken(), Identifiers.shareToken(), String(repeating: "a", count: 32),
                      "AbC-dEf_0123456789abcdefghijklmn"])
    func shareTokens(_ token: String) throws {
        try CatalogRules.checkShareToken(token)
    }

    @Test(arguments: ["", String(repeating: "a", count: 31), String(repeating: "a", count: 33),
                      "abcdefghijklmnopqrstuvwxyz01234+", "abcdefghijklmnopqrstuvwxyz01234/",
                      "abcdefghijklmnopqrstuvwxyz01234=", "abcdefghijklmnopqrstuvwxyz01234 ",
                      "abcdefghijklmnopqrstuvwxyz0123é", "abcdefghijklmnopqrstuvwxyz01234\n", "../../../../../../etc/passwd0000"])
    func notShareTokens(_ token: String) {
        #expect(refusal { try CatalogRules.checkShareToken(token) }?.contains("share token") == true)
    }

    @Test func noShareTokenIsFine() throws {
        try CatalogRules.checkShareToken(nil)
    }

    // MARK: Words and terms

    @Test func wordsAreLowerCasedComposedRunsOfLettersAndDigits() {
        #expect(CatalogRules.words("Sunset-over_the SEA!") == ["sunset", "over", "the", "sea"])
        #expect(CatalogRules.words("sea Sea SEA sky") == ["sea", "sky"], "each once, first order kept")
        #expect(CatalogRules.words("Été à Paris 2026") == ["été", "à", "paris", "2026"])
        #expect(CatalogRules.words("E\u{301}te\u{301}") == ["été"], "normal form C")
        #expect(CatalogRules.words("  ,;!  ") == [])
        #expect(CatalogRules.words(text(CatalogRules.maxTermLength)) == [text(CatalogRules.maxTermLength)])
        #expect(CatalogRules.words("a " + text(CatalogRules.maxTermLength + 1) + " b") == ["a", "b"], "too long to index")
    }

    @Test func termsOfAnImage() {
        let terms = CatalogRules.terms(tags: ["sea", "new-york"], title: "Sunset, over", description: "the Sea",
                                       cameraMake: "FUJIFILM", cameraModel: "X-T5")
        #expect(terms == ["t:sea", "t:new-york", "w:sunset", "w:over", "w:the", "w:sea", "c:fujifilm", "c:x", "c:t5"])
        #expect(CatalogRules.terms(tags: [], title: "", description: "", cameraMake: nil, cameraModel: nil).isEmpty)

        var image = ImageRecord(id: "i1", ownerID: "u1", ownerUsername: "ann", status: .ready, visibility: .private,
                                format: .jpeg, originalFilename: "a.jpg", byteSize: 1, width: 1, height: 1,
                                sha256: String(repeating: "0", count: 64), originalKey: "originals/i1",
                                derivatives: ImageDerivatives(
                                    thumbnail: Derivative(key: "t", width: 1, height: 1, byteSize: 1),
                                    preview: Derivative(key: "p", width: 1, height: 1, byteSize: 1),
                                    metadata: PhotoMetadata(cameraMake: "Canon", cameraModel: "EOS R5")),
                                createdAt: Date(timeIntervalSince1970: 0), title: "Harbour", tags: ["boats"])
        #expect(CatalogRules.terms(of: image) == ["t:boats", "w:harbour", "c:canon", "c:eos", "c:r5"])
        image.encrypted = true
        #expect(CatalogRules.terms(of: image).contains(CatalogRules.encryptedTerm))
    }

    @Test func termsOfAQuery() throws {
        let query = SearchQuery(tag: "sea", words: ["Sunset over", "sunset"], camera: "Canon EOS")
        #expect(try CatalogRules.terms(of: query, scope: .everyone) == ["t:sea", "w:sunset", "w:over", "c:canon", "c:eos"])
        // Dates alone are a search (of every photo in the range), with no terms.
        #expect(try CatalogRules.terms(of: SearchQuery(takenFrom: Date(timeIntervalSince1970: 0)), scope: .everyone) == [])
        #expect(try CatalogRules.terms(of: SearchQuery(encryptedOnly: true), scope: .owner("u1")) == [CatalogRules.encryptedTerm])
    }

    @Test func queriesThatCanMatchNothing() throws {
        #expect(try CatalogRules.terms(of: SearchQuery(), scope: .everyone) == nil, "an empty query")
        #expect(try CatalogRules.terms(of: SearchQuery(words: ["  ", "!!"]), scope: .everyone) == nil, "no words in the words")
        #expect(try CatalogRules.terms(of: SearchQuery(tag: "Sea"), scope: .everyone) == nil, "a tag that is not normalised")
        #expect(try CatalogRules.terms(of: SearchQuery(words: [text(CatalogRules.maxTermLength + 1)]), scope: .everyone) == nil,
                "a word too long to be indexed")
        for scope in [Scope.everyone, .publicOf("u1")] {
            #expect(try CatalogRules.terms(of: SearchQuery(encryptedOnly: true), scope: scope) == nil,
                    "encrypted photos outside their owner's scope")
        }
    }

    @Test func aSearchHasAtMostMaxSearchTermsWords() throws {
        let words = (0..<CatalogRules.maxSearchTerms).map { "w\($0)" }
        #expect(try CatalogRules.terms(of: SearchQuery(tag: "sea", words: words), scope: .everyone)?.count
                == CatalogRules.maxSearchTerms + 1)
        #expect(try CatalogRules.terms(of: SearchQuery(words: words + ["w0", "W1"]), scope: .everyone)?.count
                == CatalogRules.maxSearchTerms, "a word given twice counts once")
        // One word more, with or without a tag (the tag and "encrypted only" are no words).
        for query in [SearchQuery(words: words + ["one"]), SearchQuery(tag: "sea", words: words + ["one"]),
                      SearchQuery(words: words + ["one"], encryptedOnly: true)] {
            #expect(refusal { _ = try CatalogRules.terms(of: query, scope: .owner("u1")) }?
                .contains("at most \(CatalogRules.maxSearchTerms) words") == true, "\(query)")
        }
    }
}
