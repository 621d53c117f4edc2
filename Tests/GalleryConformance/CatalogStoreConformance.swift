import Foundation
import GalleryCore
import XCTest

/// What every `CatalogStore` must do, with the `MetadataStore` of the same backend (they
/// share records). Give it new, empty stores per test.
///
/// Camera makes and models are the EXIF strings of the shared test photos (named beside
/// each), byte for byte, padding included: the stores see what the worker would give them.
public final class CatalogStoreConformance {
    public static let sourceFile = #filePath
    let catalog: CatalogStore
    let metadata: MetadataStore

    public init(catalog: CatalogStore, metadata: MetadataStore) {
        self.catalog = catalog
        self.metadata = metadata
    }

    let base = wholeMilliseconds(Date(timeIntervalSince1970: 1_780_000_000))

    // MARK: Details

    public func testDetailsRoundTrip() throws {
        let image = Self.image("img1", owner: "u1", at: base)
        try metadata.putImage(image)
        let title = "<script>alert('x')</script> Sunset & \"friends\""
        let description = "Über den Wolken — 雲の上 🌅\nsecond line"
        try catalog.updateDetails(imageID: "img1", title: title, description: description,
                                  tags: ["sunset", "über-see", "b_w", "2024"], visibility: .unlisted)
        var expected = image
        expected.title = title
        expected.description = description
        expected.tags = ["sunset", "über-see", "b_w", "2024"]
        expected.visibility = .unlisted
        XCTAssertEqual(try metadata.image(id: "img1"), expected, "details kept exactly, tags in order")

        try catalog.updateDetails(imageID: "img1", title: "", description: "", tags: [], visibility: .private)
        expected.title = ""
        expected.description = ""
        expected.tags = []
        expected.visibility = .private
        XCTAssertEqual(try metadata.image(id: "img1"), expected, "details can be cleared")
        assertThrows(.notFound) {
            try catalog.updateDetails(imageID: "missing", title: "x", description: "", tags: [], visibility: .public)
        }
    }

    public func testDetailsValidation() throws {
        try metadata.putImage(Self.image("img1", owner: "u1", at: base))
        let longest = String(repeating: "é", count: 200), longestText = String(repeating: "x", count: 5000)
        let most = (0..<30).map { "tag\($0)" }, longestTag = String(repeating: "a", count: 32)
        try catalog.updateDetails(imageID: "img1", title: longest, description: longestText, tags: most + [], visibility: .public)
        try catalog.updateDetails(imageID: "img1", title: "ok", description: "", tags: [longestTag], visibility: .public)

        let refused: [(String, String, [String])] = [
            (longest + "x", "", []), ("", longestText + "x", []), ("", "", most + ["one-more"]),
            ("", "", ["Upper"]), ("", "", ["two words"]), ("", "", [""]), ("", "", [longestTag + "a"]),
            ("", "", ["dup", "dup"]), ("", "", ["semi;colon"]), ("", "", ["<b>"]),
        ]
        for (title, description, tags) in refused {
            assertThrows(.invalid(""), "\(title.count) / \(description.count) / \(tags)") {
                try catalog.updateDetails(imageID: "img1", title: title, description: description, tags: tags,
                                          visibility: .private)
            }
        }
        let kept = try XCTUnwrap(metadata.image(id: "img1"))
        XCTAssertEqual(kept.title, "ok", "a refused update changes nothing")
        XCTAssertEqual(kept.tags, [longestTag])
        XCTAssertEqual(kept.visibility, .public)

        var locked = Self.image("enc", owner: "u1", at: base)
        locked.encrypted = true
        locked.visibility = .private
        try metadata.putImage(locked)
        assertThrows(.invalid(""), "an encrypted photo is never public") {
            try catalog.updateDetails(imageID: "enc", title: "", description: "", tags: [], visibility: .public)
        }
        try catalog.updateDetails(imageID: "enc", title: "mine", description: "", tags: [], visibility: .unlisted)
        XCTAssertEqual(try metadata.image(id: "enc")?.visibility, .unlisted)
    }

    // MARK: Search

    public func testSearchByTag() throws {
        try put("a1", owner: "alice", at: 0, visibility: .public, tags: ["beach", "sunset"])
        try put("a2", owner: "alice", at: 1, visibility: .private, tags: ["beach"])
        try put("a3", owner: "alice", at: 2, visibility: .unlisted, tags: ["beach"])
        try put("a4", owner: "alice", at: 3, visibility: .public, tags: ["beach-house"])
        try put("b1", owner: "bob", at: 4, visibility: .public, tags: ["beach"])
        try put("b2", owner: "bob", at: 5, visibility: .private, tags: ["beach"])
        let beach = SearchQuery(tag: "beach")
        XCTAssertEqual(try ids(beach, .owner("alice")), ["a3", "a2", "a1"], "the owner sees every visibility, newest first")
        XCTAssertEqual(try ids(beach, .everyone), ["b1", "a1"], "everyone: public only")
        XCTAssertEqual(try ids(beach, .publicOf("alice")), ["a1"])
        XCTAssertEqual(try ids(beach, .publicOf("bob")), ["b1"])
        XCTAssertEqual(try ids(SearchQuery(tag: "beach-house"), .everyone), ["a4"], "tags are whole")
        XCTAssertEqual(try ids(SearchQuery(tag: "sunset"), .owner("bob")), [], "another owner's tags are not mine")
        XCTAssertEqual(try ids(SearchQuery(tag: "BEACH"), .everyone), [], "a tag that is not normalised matches nothing")
    }

    public func testSearchByWords() throws {
        try put("p1", owner: "alice", at: 0, title: "Sunset over the Sea", description: "Taken from the pier.")
        try put("p2", owner: "alice", at: 1, title: "Sea-side café", description: "Coffee, then the SEA!")
        try put("p3", owner: "alice", at: 2, title: "Sunsets", description: "")
        try put("p4", owner: "alice", at: 3, title: "", description: "A cafe (no accent) by the pier")
        try put("p5", owner: "bob", at: 4, visibility: .private, title: "Sunset at sea")
        XCTAssertEqual(try ids(SearchQuery(words: ["sunset"]), .owner("alice")), ["p1"], "whole words only")
        XCTAssertEqual(try ids(SearchQuery(words: ["SEA"]), .owner("alice")), ["p2", "p1"], "case-insensitive, any field")
        XCTAssertEqual(try ids(SearchQuery(words: ["sea", "pier"]), .owner("alice")), ["p1"], "every word")
        XCTAssertEqual(try ids(SearchQuery(words: ["café"]), .owner("alice")), ["p2"])
        XCTAssertEqual(try ids(SearchQuery(words: ["cafe"]), .owner("alice")), ["p4"], "accents matter")
        XCTAssertEqual(try ids(SearchQuery(words: ["sea-side"]), .owner("alice")), ["p2"], "punctuation splits words")
        XCTAssertEqual(try ids(SearchQuery(words: ["Sunset,", "sea"]), .everyone), ["p1"], "bob's private one stays hidden")
        XCTAssertEqual(try ids(SearchQuery(words: ["sunset", "sea"]), .owner("bob")), ["p5"])
        XCTAssertEqual(try ids(SearchQuery(words: ["nothing"]), .everyone), [])
        XCTAssertEqual(try ids(SearchQuery(words: ["!!!"]), .everyone), [], "no word at all matches nothing")
    }

    public func testSearchByCamera() throws {
        // albums/nature/prairie_falcon.jpg, el_torcal_rocks.jpg, notocactus_minimus.jpg and
        // metadata/gps-position/empty_gps.jpg.
        let cameras: [(String, String, String)] = [
            ("falcon", "Canon", "Canon EOS R5"), ("rocks", "SONY", "DSLR-A550"),
            ("cactus", "PENTAX Corporation ", "PENTAX K10D        "), ("phone", "motorola", "moto g(9) plus"),
        ]
        for (i, (id, make, model)) in cameras.enumerated() {
            try put(id, owner: "alice", at: Double(i))
            try metadata.markImageReady(id: id, derivatives: Self.derivatives(id, make: make, model: model))
        }
        try put("plain", owner: "alice", at: 9)
        XCTAssertEqual(try ids(SearchQuery(camera: "canon"), .everyone), ["falcon"])
        XCTAssertEqual(try ids(SearchQuery(camera: "EOS r5"), .everyone), ["falcon"], "every word, any case")
        XCTAssertEqual(try ids(SearchQuery(camera: "a550"), .owner("alice")), ["rocks"])
        XCTAssertEqual(try ids(SearchQuery(camera: "pentax"), .publicOf("alice")), ["cactus"], "padding is no word")
        XCTAssertEqual(try ids(SearchQuery(camera: "moto"), .everyone), ["phone"], "whole words: not motorola's prefix")
        XCTAssertEqual(try ids(SearchQuery(camera: "nikon"), .everyone), [])

        // The worker may run again (a retry, a new version): the index follows.
        try metadata.markImageReady(id: "falcon", derivatives: Self.derivatives("falcon", make: "FUJIFILM", model: "FinePix S3Pro"))
        XCTAssertEqual(try ids(SearchQuery(camera: "canon"), .everyone), [])
        XCTAssertEqual(try ids(SearchQuery(camera: "finepix"), .everyone), ["falcon"])
    }

    public func testSearchByDateTaken() throws {
        let days: [(String, Double?)] = [("d1", 1), ("d2", 10), ("d3", 20), ("d4", nil), ("d5", 30)]
        for (i, (id, day)) in days.enumerated() {
            try put(id, owner: "alice", at: Double(i), tags: ["trip"])
            try metadata.markImageReady(id: id, derivatives: Self.derivatives(id, taken: day.map(day0)))
        }
        try put("d6", owner: "alice", at: 9, visibility: .private)  // never processed: no date
        XCTAssertEqual(try ids(SearchQuery(takenFrom: day0(10), takenTo: day0(20)), .everyone), ["d3", "d2"], "inclusive")
        XCTAssertEqual(try ids(SearchQuery(takenFrom: day0(11)), .everyone), ["d5", "d3"], "open end")
        XCTAssertEqual(try ids(SearchQuery(takenTo: day0(10)), .owner("alice")), ["d2", "d1"], "open start; no date: no match")
        XCTAssertEqual(try ids(SearchQuery(tag: "trip", takenFrom: day0(5), takenTo: day0(25)), .publicOf("alice")), ["d3", "d2"])
        XCTAssertEqual(try ids(SearchQuery(takenFrom: day0(21), takenTo: day0(29)), .everyone), [])
        XCTAssertEqual(try ids(SearchQuery(takenFrom: day0(20), takenTo: day0(10)), .everyone), [], "an empty range")
    }

    /// Private photos never reach `.everyone` or `.publicOf`, whatever the criteria, and a
    /// change of visibility moves a photo in or out at once.
    public func testSearchScopesFollowVisibility() throws {
        try put("x1", owner: "alice", at: 0, visibility: .private, title: "harbour", tags: ["boats"])
        try metadata.markImageReady(id: "x1", derivatives: Self.derivatives("x1", make: "Canon", model: "Canon EOS R5", taken: day0(3)))
        let queries = [SearchQuery(tag: "boats"), SearchQuery(words: ["harbour"]), SearchQuery(camera: "canon"),
                       SearchQuery(takenFrom: day0(1)), SearchQuery(tag: "boats", words: ["harbour"], camera: "eos")]
        for query in queries {
            XCTAssertEqual(try ids(query, .owner("alice")), ["x1"], "\(query)")
            XCTAssertEqual(try ids(query, .everyone), [], "\(query)")
            XCTAssertEqual(try ids(query, .publicOf("alice")), [], "\(query)")
        }
        try catalog.updateDetails(imageID: "x1", title: "harbour", description: "", tags: ["boats"], visibility: .public)
        for query in queries {
            XCTAssertEqual(try ids(query, .everyone), ["x1"], "\(query)")
            XCTAssertEqual(try ids(query, .publicOf("alice")), ["x1"], "\(query)")
            XCTAssertEqual(try ids(query, .publicOf("bob")), [], "\(query)")
        }
        try catalog.updateDetails(imageID: "x1", title: "harbour", description: "", tags: ["boats"], visibility: .unlisted)
        for query in queries {
            XCTAssertEqual(try ids(query, .everyone), [], "unlisted is not public: \(query)")
        }
    }

    public func testSearchFollowsEditsAndDeletes() throws {
        try put("e1", owner: "alice", at: 0, title: "red door", tags: ["old"])
        try put("e2", owner: "alice", at: 1, title: "red car", tags: ["old"])
        try catalog.updateDetails(imageID: "e1", title: "blue door", description: "", tags: ["new"], visibility: .public)
        XCTAssertEqual(try ids(SearchQuery(tag: "old"), .everyone), ["e2"])
        XCTAssertEqual(try ids(SearchQuery(tag: "new"), .everyone), ["e1"])
        XCTAssertEqual(try ids(SearchQuery(words: ["red"]), .everyone), ["e2"])
        XCTAssertEqual(try ids(SearchQuery(words: ["door"]), .owner("alice")), ["e1"])
        try metadata.deleteImage(id: "e2")
        XCTAssertEqual(try ids(SearchQuery(tag: "old"), .owner("alice")), [])
        XCTAssertEqual(try ids(SearchQuery(words: ["red"]), .everyone), [])
    }

    public func testSearchPages() throws {
        var expected: [String] = []
        for i in 0..<47 {
            let id = String(format: "s%03d", i)
            // Pairs share an upload time: the id breaks the tie. Every fourth has another tag.
            let tags = i % 4 == 3 ? ["other"] : ["walk"]
            let visibility: Visibility = i % 5 == 4 ? .private : .public
            try put(id, owner: i % 3 == 0 ? "bob" : "alice", at: Double(i / 2), visibility: visibility,
                    title: i % 2 == 0 ? "dog in the park" : "park bench", tags: tags)
            if tags == ["walk"] && visibility == .public { expected.append(id) }
        }
        expected.reverse()
        XCTAssertGreaterThan(expected.count, 20)
        let got = try collect(limit: 7) { try catalog.search(SearchQuery(tag: "walk"), scope: .everyone, cursor: $0, limit: 7) }
        XCTAssertEqual(got.map(\.id), expected, "each match once, newest first, across pages")
        let combined = try collect(limit: 4) {
            try catalog.search(SearchQuery(tag: "walk", words: ["dog"]), scope: .owner("alice"), cursor: $0, limit: 4)
        }
        let alices = (0..<47).filter { $0 % 3 != 0 && $0 % 4 != 3 && $0 % 2 == 0 }.map { String(format: "s%03d", $0) }
        XCTAssertEqual(combined.map(\.id), alices.reversed())
        let dated = try collect(limit: 5) { try catalog.publicImages(ownerID: "alice", cursor: $0, limit: 5) }
        XCTAssertEqual(dated.map(\.id), (0..<47).filter { $0 % 3 != 0 && $0 % 5 != 4 }.map { String(format: "s%03d", $0) }.reversed())
    }

    /// Encrypted photos (never public) are one search of their owner's: exactly those, newest
    /// first, across pages, with the other criteria; nothing in the other scopes.
    public func testSearchEncryptedOnly() throws {
        XCTAssertFalse(SearchQuery(encryptedOnly: true).isEmpty)
        var expected: [String] = []
        for i in 0..<23 {
            let id = String(format: "x%03d", i)
            // Every third is alice's plain photo, some of them private or unlisted like the encrypted ones.
            let encrypted = i % 3 != 0
            let at = base.addingTimeInterval(Double(i / 2))  // pairs share an upload time: the id breaks the tie
            var image = Self.image(id, owner: "alice", at: at)
            image.encrypted = encrypted
            image.status = encrypted ? .ready : .processing
            image.visibility = encrypted || i % 2 == 0 ? .private : .public
            try metadata.putImage(image)
            if encrypted { expected.append(id) }
        }
        try putEncrypted("bob1", owner: "bob", at: 30)
        try putEncrypted("u1", owner: "alice", at: 31)
        try catalog.updateDetails(imageID: "u1", title: "Tax papers", description: "", tags: ["docs"], visibility: .unlisted)
        try catalog.updateDetails(imageID: "x000", title: "Tax return", description: "", tags: ["docs"], visibility: .private)
        expected.append("u1")
        expected.reverse()

        let encrypted = SearchQuery(encryptedOnly: true)
        let got = try collect(limit: 4) { try catalog.search(encrypted, scope: .owner("alice"), cursor: $0, limit: 4) }
        XCTAssertEqual(got.map(\.id), expected, "each encrypted photo of alice's once, newest first, across pages")
        XCTAssertTrue(got.allSatisfy(\.encrypted))
        XCTAssertEqual(try ids(encrypted, .owner("bob")), ["bob1"])
        XCTAssertEqual(try ids(encrypted, .owner("carol")), [])
        for scope in [Scope.everyone, .publicOf("alice"), .publicOf("bob")] {
            XCTAssertEqual(try ids(encrypted, scope), [], "never outside the owner's scope: \(scope)")
            XCTAssertEqual(try ids(SearchQuery(tag: "docs", encryptedOnly: true), scope), [], "\(scope)")
        }

        // With other criteria: all of them must hold; edits keep the photo findable.
        XCTAssertEqual(try ids(SearchQuery(tag: "docs"), .owner("alice")), ["u1", "x000"])
        XCTAssertEqual(try ids(SearchQuery(tag: "docs", encryptedOnly: true), .owner("alice")), ["u1"])
        XCTAssertEqual(try ids(SearchQuery(words: ["tax"], encryptedOnly: true), .owner("alice")), ["u1"])
        XCTAssertEqual(try ids(SearchQuery(words: ["return"], encryptedOnly: true), .owner("alice")), [])
        XCTAssertEqual(try ids(SearchQuery(takenFrom: day0(0), encryptedOnly: true), .owner("alice")), [],
                       "an encrypted photo has no date taken")

        // A deleted photo leaves the search.
        try metadata.deleteImage(id: "u1")
        try metadata.deleteImage(id: expected[3])
        XCTAssertEqual(try ids(encrypted, .owner("alice")), expected.filter { $0 != "u1" && $0 != expected[3] })
        XCTAssertEqual(try ids(SearchQuery(tag: "docs", encryptedOnly: true), .owner("alice")), [])
    }

    public func testEmptySearchAndBadInput() throws {
        try put("q1", owner: "alice", at: 0, title: "anything", tags: ["any"])
        XCTAssertEqual(try ids(SearchQuery(), .owner("alice")), [], "an empty query matches nothing")
        XCTAssertEqual(try ids(SearchQuery(words: ["", "  "]), .everyone), [])
        assertThrows(.invalid("")) { try catalog.search(SearchQuery(tag: "any"), scope: .everyone, cursor: "garbage!", limit: 10) }
        assertThrows(.invalid("")) { try catalog.search(SearchQuery(tag: "any"), scope: .everyone, cursor: nil, limit: 0) }
        assertThrows(.invalid(""), "too many words") {
            try catalog.search(SearchQuery(words: (0..<40).map { "w\($0)" }), scope: .everyone, cursor: nil, limit: 10)
        }
        XCTAssertEqual(try ids(SearchQuery(words: [String(repeating: "a", count: 65)]), .everyone), [], "too long to be a word")
        assertThrows(.invalid("")) { try catalog.publicImages(ownerID: "alice", cursor: "%%%", limit: 10) }
    }

    public func testImageScopes() throws {
        try put("i1", owner: "alice", at: 0, visibility: .public)
        try put("i2", owner: "alice", at: 1, visibility: .private)
        try put("i3", owner: "alice", at: 2, visibility: .unlisted)
        try put("i4", owner: "bob", at: 3, visibility: .public)
        XCTAssertEqual(try metadata.images(ownerID: "alice", cursor: nil, limit: 50).items.map(\.id), ["i3", "i2", "i1"])
        XCTAssertEqual(try catalog.publicImages(ownerID: "alice", cursor: nil, limit: 50).items.map(\.id), ["i1"])
        XCTAssertEqual(try metadata.publicFeed(cursor: nil, limit: 50).items.map(\.id), ["i4", "i1"])
    }

    // MARK: Share links, duplicates, usage

    public func testShareTokens() throws {
        try put("t1", owner: "alice", at: 0, visibility: .unlisted)
        try put("t2", owner: "alice", at: 1, visibility: .unlisted)
        let token = "Zk9x3sQ0mV7cT2pL8aRbYw0123456789"
        try catalog.setShareToken(imageID: "t1", token: token)
        XCTAssertEqual(try catalog.image(shareToken: token)?.id, "t1")
        XCTAssertEqual(try metadata.image(id: "t1")?.shareToken, token)
        XCTAssertNil(try catalog.image(shareToken: "Zk9x3sQ0mV7cT2pL8aRbYx0123456789"))
        try catalog.setShareToken(imageID: "t1", token: nil)
        XCTAssertNil(try catalog.image(shareToken: token), "a revoked link leads nowhere at once")
        XCTAssertNil(try metadata.image(id: "t1")?.shareToken)
        try catalog.setShareToken(imageID: "t2", token: "second-token-1234567890abcdefghi")
        XCTAssertEqual(try catalog.image(shareToken: "second-token-1234567890abcdefghi")?.id, "t2")
        assertThrows(.notFound) { try catalog.setShareToken(imageID: "missing", token: "x-token-1234567890abcdefghijklmn") }
        for bad in ["", "short", "has space in it 12345", String(repeating: "a", count: 129), "percent%2Fencoded-123"] {
            assertThrows(.invalid(""), "token \(bad.debugDescription)") { try catalog.setShareToken(imageID: "t2", token: bad) }
            XCTAssertNil(try catalog.image(shareToken: bad))
            XCTAssertNil(try catalog.album(shareToken: bad))
        }
        try metadata.deleteImage(id: "t2")
        XCTAssertNil(try catalog.image(shareToken: "second-token-1234567890abcdefghi"), "a deleted photo's link leads nowhere")

        let album = Self.album("al1", owner: "alice", at: base)
        try catalog.createAlbum(album)
        var shared = album
        shared.visibility = .unlisted
        shared.shareToken = "album-token-abcdefghijk012345678"
        try catalog.updateAlbum(shared)
        XCTAssertEqual(try catalog.album(shareToken: "album-token-abcdefghijk012345678")?.id, "al1")
        shared.shareToken = nil
        try catalog.updateAlbum(shared)
        XCTAssertNil(try catalog.album(shareToken: "album-token-abcdefghijk012345678"))
    }

    public func testDuplicatesBySHA256() throws {
        var first = Self.image("h1", owner: "alice", at: base)
        first.sha256 = String(repeating: "1f", count: 32)
        try metadata.putImage(first)
        var other = Self.image("h2", owner: "bob", at: base.addingTimeInterval(1))
        other.sha256 = String(repeating: "2e", count: 32)
        try metadata.putImage(other)
        XCTAssertEqual(try catalog.image(ownerID: "alice", sha256: first.sha256)?.id, "h1")
        XCTAssertNil(try catalog.image(ownerID: "alice", sha256: other.sha256), "another owner's bytes are no duplicate")
        XCTAssertEqual(try catalog.image(ownerID: "bob", sha256: other.sha256)?.id, "h2")
        try metadata.deleteImage(id: "h1")
        XCTAssertNil(try catalog.image(ownerID: "alice", sha256: first.sha256))
    }

    public func testUsage() throws {
        XCTAssertEqual(try catalog.usage(ownerID: "alice"), StorageUsage(bytes: 0, images: 0))
        for (i, size) in [1_581_031, 20_480, 7].enumerated() {
            var image = Self.image("u\(i)", owner: "alice", at: base.addingTimeInterval(Double(i)))
            image.byteSize = size
            try metadata.putImage(image)
        }
        try metadata.putImage(Self.image("other", owner: "bob", at: base))
        XCTAssertEqual(try catalog.usage(ownerID: "alice"), StorageUsage(bytes: 1_601_518, images: 3))
        try metadata.deleteImage(id: "u1")
        try metadata.deleteImage(id: "u1")  // already gone: counted once
        XCTAssertEqual(try catalog.usage(ownerID: "alice"), StorageUsage(bytes: 1_581_038, images: 2))
        try metadata.markImageReady(id: "u0", derivatives: Self.derivatives("u0"))
        XCTAssertEqual(try catalog.usage(ownerID: "alice"), StorageUsage(bytes: 1_581_038, images: 2), "originals count, once")
    }

    // MARK: Albums

    public func testAlbumLifecycle() throws {
        var album = Self.album("al1", owner: "alice", at: base)
        album.description = "Summer <b>2024</b>"
        album.order = .taken
        try catalog.createAlbum(album)
        XCTAssertEqual(try catalog.album(id: "al1"), album)
        XCTAssertNil(try catalog.album(id: "missing"))
        assertThrows(.conflict(""), "same id") { try catalog.createAlbum(album) }

        album.title = "Summer, renamed"
        album.description = ""
        album.visibility = .private
        album.order = .newest
        album.updatedAt = base.addingTimeInterval(60)
        try catalog.updateAlbum(album)
        XCTAssertEqual(try catalog.album(id: "al1"), album)

        for bad in ["", String(repeating: "x", count: 201)] {
            var refused = album
            refused.title = bad
            assertThrows(.invalid(""), "title of \(bad.count)") { try catalog.updateAlbum(refused) }
            refused.id = "al2"
            assertThrows(.invalid(""), "title of \(bad.count)") { try catalog.createAlbum(refused) }
        }
        var long = album
        long.description = String(repeating: "x", count: 5001)
        assertThrows(.invalid("")) { try catalog.updateAlbum(long) }
        var ghost = album
        ghost.id = "missing"
        assertThrows(.notFound) { try catalog.updateAlbum(ghost) }

        try put("p1", owner: "alice", at: 0)
        try catalog.addToAlbum(albumID: "al1", imageIDs: ["p1"])
        album.imageCount = 1
        XCTAssertEqual(try catalog.deleteAlbum(id: "al1"), album)
        XCTAssertNil(try catalog.album(id: "al1"))
        XCTAssertNil(try catalog.deleteAlbum(id: "al1"))
        XCTAssertNotNil(try metadata.image(id: "p1"), "deleting an album keeps its photos")
        XCTAssertEqual(try catalog.albums(containing: "p1", limit: 10), [])
    }

    public func testAlbumMembership() throws {
        for i in 0..<4 { try put("m\(i)", owner: "alice", at: Double(i)) }
        try put("bobs", owner: "bob", at: 9)
        try catalog.createAlbum(Self.album("al1", owner: "alice", at: base))
        try catalog.createAlbum(Self.album("al2", owner: "alice", at: base.addingTimeInterval(1)))
        try catalog.addToAlbum(albumID: "al1", imageIDs: ["m0", "m1", "m2"])
        try catalog.addToAlbum(albumID: "al1", imageIDs: ["m1", "m2", "m1"])
        XCTAssertEqual(try catalog.album(id: "al1")?.imageCount, 3, "adding again changes nothing")
        try catalog.addToAlbum(albumID: "al2", imageIDs: ["m1"])
        XCTAssertEqual(try catalog.albums(containing: "m1", limit: 10).map(\.id), ["al2", "al1"], "a photo in several albums")
        XCTAssertEqual(try catalog.albums(containing: "m1", limit: 1).map(\.id), ["al2"])

        assertThrows(.notFound, "another owner's photo") { try catalog.addToAlbum(albumID: "al1", imageIDs: ["m3", "bobs"]) }
        assertThrows(.notFound, "a missing photo") { try catalog.addToAlbum(albumID: "al1", imageIDs: ["m3", "nope"]) }
        XCTAssertEqual(try catalog.album(id: "al1")?.imageCount, 3, "a refused add changes nothing")
        XCTAssertEqual(try catalog.albums(containing: "m3", limit: 10), [])
        XCTAssertEqual(try catalog.albums(containing: "bobs", limit: 10), [])
        assertThrows(.notFound) { try catalog.addToAlbum(albumID: "missing", imageIDs: ["m0"]) }

        try catalog.removeFromAlbum(albumID: "al1", imageIDs: ["m0", "m3", "bobs"])
        XCTAssertEqual(try catalog.album(id: "al1")?.imageCount, 2, "removing what is not in it changes nothing")
        XCTAssertEqual(try albumIDs("al1"), ["m2", "m1"])
        XCTAssertEqual(try catalog.albums(containing: "m0", limit: 10), [])
        assertThrows(.notFound) { try catalog.removeFromAlbum(albumID: "missing", imageIDs: ["m0"]) }

        try metadata.deleteImage(id: "m1")
        XCTAssertEqual(try catalog.album(id: "al1")?.imageCount, 1, "a deleted photo leaves every album")
        XCTAssertEqual(try catalog.album(id: "al2")?.imageCount, 0)
        XCTAssertEqual(try albumIDs("al1"), ["m2"])
        XCTAssertEqual(try albumIDs("al2"), [])
    }

    public func testAlbumsPerPhotoLimit() throws {
        try put("p1", owner: "alice", at: 0)
        try put("p2", owner: "alice", at: 1)
        for i in 0..<41 { try catalog.createAlbum(Self.album(String(format: "al%02d", i), owner: "alice", at: base)) }
        for i in 0..<40 { try catalog.addToAlbum(albumID: String(format: "al%02d", i), imageIDs: ["p1"]) }
        try catalog.addToAlbum(albumID: "al00", imageIDs: ["p1"])  // already in it: no new album
        assertThrows(.invalid(""), "a photo is in at most 40 albums") { try catalog.addToAlbum(albumID: "al40", imageIDs: ["p2", "p1"]) }
        XCTAssertEqual(try catalog.album(id: "al40")?.imageCount, 0, "a refused add changes nothing")
        XCTAssertEqual(try catalog.albums(containing: "p1", limit: 100).count, 40)
        try metadata.deleteImage(id: "p1")
        XCTAssertEqual(try catalog.album(id: "al39")?.imageCount, 0, "deleting leaves every one of its albums")
        XCTAssertEqual(try catalog.album(id: "al00")?.imageCount, 0)
    }

    public func testAlbumCover() throws {
        for i in 0..<3 { try put("c\(i)", owner: "alice", at: Double(i)) }
        try put("bobs", owner: "bob", at: 5)
        var album = Self.album("al1", owner: "alice", at: base)
        var withCover = album
        withCover.coverImageID = "c0"
        assertThrows(.invalid(""), "a new album has no photos") { try catalog.createAlbum(withCover) }
        try catalog.createAlbum(album)
        try catalog.addToAlbum(albumID: "al1", imageIDs: ["c0", "c1", "c2"])
        for outsider in ["bobs", "missing"] {
            var bad = album
            bad.coverImageID = outsider
            assertThrows(.invalid(""), "the cover is a photo of the album") { try catalog.updateAlbum(bad) }
        }
        album.coverImageID = "c1"
        try catalog.updateAlbum(album)
        XCTAssertEqual(try catalog.album(id: "al1")?.coverImageID, "c1")
        try metadata.deleteImage(id: "c1")
        XCTAssertNil(try catalog.album(id: "al1")?.coverImageID, "a deleted cover is cleared")
        XCTAssertEqual(try catalog.album(id: "al1")?.imageCount, 2)

        album.coverImageID = "c2"
        try catalog.updateAlbum(album)
        try catalog.removeFromAlbum(albumID: "al1", imageIDs: ["c2"])
        XCTAssertNil(try catalog.album(id: "al1")?.coverImageID, "a removed cover is cleared")
        XCTAssertEqual(try catalog.album(id: "al1")?.imageCount, 1)
    }

    public func testAlbumOrders() throws {
        var album = Self.album("al1", owner: "alice", at: base)
        try catalog.createAlbum(album)
        // Upload order c00…c22; dates taken shuffled, some equal, some missing.
        var expectedTaken: [(Double, Double, String)] = []
        for i in 0..<23 {
            let id = String(format: "c%02d", i)
            try put(id, owner: "alice", at: Double(i))
            let day: Double? = i % 5 == 2 ? nil : Double((i * 7) % 11)
            try metadata.markImageReady(id: id, derivatives: Self.derivatives(id, taken: day.map(day0)))
            expectedTaken.append((day == nil ? 1 : 0, day ?? 0, id))
        }
        try put("outside", owner: "alice", at: 30)
        let ids = (0..<23).map { String(format: "c%02d", $0) }
        try catalog.addToAlbum(albumID: "al1", imageIDs: ids.shuffled())
        XCTAssertEqual(try collect(limit: 5) { try catalog.albumImages(albumID: "al1", cursor: $0, limit: 5) }.map(\.id),
                       ids.reversed(), "newest first across pages")
        album.order = .taken
        try catalog.updateAlbum(album)
        let taken = expectedTaken.sorted { ($0.0, $0.1, $0.2) < ($1.0, $1.1, $1.2) }.map(\.2)
        XCTAssertEqual(try collect(limit: 4) { try catalog.albumImages(albumID: "al1", cursor: $0, limit: 4) }.map(\.id),
                       taken, "by date taken, oldest first, undated last by upload")
        assertThrows(.invalid("")) { try catalog.albumImages(albumID: "al1", cursor: "garbage!", limit: 4) }
        assertThrows(.notFound) { try catalog.albumImages(albumID: "missing", cursor: nil, limit: 4) }
        // A date learned after the photo joined the album moves it.
        try metadata.markImageReady(id: "c02", derivatives: Self.derivatives("c02", taken: day0(-1)))
        XCTAssertEqual(try catalog.albumImages(albumID: "al1", cursor: nil, limit: 1).items.map(\.id), ["c02"])
    }

    public func testAlbumLists() throws {
        var expectedAlice: [String] = [], expectedPublic: [String] = []
        for i in 0..<17 {
            var album = Self.album(String(format: "al%02d", i), owner: i % 4 == 0 ? "bob" : "alice",
                                   at: base.addingTimeInterval(Double(i / 2)))
            album.visibility = [.public, .private, .unlisted][i % 3]
            try catalog.createAlbum(album)
            if album.ownerID == "alice" { expectedAlice.append(album.id) }
            if album.visibility == .public { expectedPublic.append(album.id) }
        }
        let alice = try collect(limit: 4) { try catalog.albums(scope: .owner("alice"), cursor: $0, limit: 4) }
        XCTAssertEqual(alice.map(\.id), expectedAlice.reversed())
        let alicesPublic = try collect(limit: 2) { try catalog.albums(scope: .publicOf("alice"), cursor: $0, limit: 2) }
        XCTAssertEqual(alicesPublic.map(\.id), expectedPublic.filter { Int($0.dropFirst(2))! % 4 != 0 }.reversed())
        let everyone = try collect(limit: 3) { try catalog.albums(scope: .everyone, cursor: $0, limit: 3) }
        XCTAssertEqual(everyone.map(\.id), expectedPublic.reversed())
        assertThrows(.invalid("")) { try catalog.albums(scope: .everyone, cursor: "garbage!", limit: 3) }
    }

    // MARK: Profiles and accounts

    public func testProfileDetails() throws {
        var alice = Self.profile("alice")
        try metadata.createProfile(alice)
        try put("avatar", owner: alice.userID, at: 0)
        try put("bobs", owner: "bob", at: 1)
        alice.displayName = "Alice <A.>"
        alice.bio = "Photographs birds.\n<script>x</script>"
        alice.address = "1 Main St, Springfield"
        alice.phone = "+1 555 0100"
        alice.avatarImageID = "avatar"
        alice.defaultVisibility = .private
        alice.sharePosition = true
        alice.stripPositionForOthers = false
        try catalog.updateProfileDetails(alice)
        XCTAssertEqual(try metadata.profile(userID: alice.userID), alice)
        XCTAssertEqual(try metadata.profile(username: "alice"), alice)

        var bad = alice
        bad.avatarImageID = "bobs"
        assertThrows(.invalid(""), "another's photo as avatar") { try catalog.updateProfileDetails(bad) }
        bad = alice
        bad.bio = String(repeating: "b", count: 5001)
        assertThrows(.invalid("")) { try catalog.updateProfileDetails(bad) }
        bad = alice
        bad.phone = String(repeating: "5", count: 101)
        assertThrows(.invalid("")) { try catalog.updateProfileDetails(bad) }
        XCTAssertEqual(try metadata.profile(userID: alice.userID), alice, "refused updates change nothing")
        var ghost = alice
        ghost.userID = "nobody"
        assertThrows(.notFound) { try catalog.updateProfileDetails(ghost) }

        try metadata.deleteImage(id: "avatar")
        XCTAssertNil(try metadata.profile(userID: alice.userID)?.avatarImageID, "a deleted avatar is cleared")
    }

    /// From the moment of confirmation nothing of the user is served: no public photo or album,
    /// no search hit, no share link, no session — and other users keep theirs.
    public func testMarkDeletedHidesEverythingAtOnce() throws {
        let alice = Self.profile("alice"), bob = Self.profile("bob")
        try metadata.createProfile(alice)
        try metadata.createProfile(bob)
        try put("a-public", owner: alice.userID, at: 0, visibility: .public, tags: ["gone"])
        try put("a-unlisted", owner: alice.userID, at: 1, visibility: .unlisted, tags: ["gone"])
        try put("a-private", owner: alice.userID, at: 2, visibility: .private, tags: ["gone"])
        try put("b-public", owner: bob.userID, at: 3, visibility: .public, tags: ["gone"])
        try catalog.setShareToken(imageID: "a-unlisted", token: "alice-image-token-0123456789abcd")
        var album = Self.album("a-album", owner: alice.userID, at: base)
        album.visibility = .unlisted
        album.shareToken = "alice-album-token-0123456789abcd"
        try catalog.createAlbum(album)
        var publicAlbum = Self.album("a-public-album", owner: alice.userID, at: base.addingTimeInterval(1))
        publicAlbum.visibility = .public
        try catalog.createAlbum(publicAlbum)
        try catalog.addToAlbum(albumID: "a-public-album", imageIDs: ["a-public"])
        try catalog.createAlbum(Self.album("b-album", owner: bob.userID, at: base.addingTimeInterval(2)))
        let now = wholeMilliseconds()
        for (hash, user) in [("s-a1", alice.userID), ("s-a2", alice.userID), ("s-b", bob.userID)] {
            try metadata.createSession(SessionRecord(idHash: hash, userID: user, createdAt: now, lastSeenAt: now,
                                                     expiresAt: now.addingTimeInterval(3600)))
        }

        let at = wholeMilliseconds()
        try catalog.markDeleted(userID: alice.userID, at: at)

        assertSameMillisecond(try metadata.profile(userID: alice.userID)?.deletedAt, at)
        XCTAssertNil(try metadata.session(idHash: "s-a1"))
        XCTAssertNil(try metadata.session(idHash: "s-a2"))
        XCTAssertNotNil(try metadata.session(idHash: "s-b"))
        XCTAssertEqual(try metadata.publicFeed(cursor: nil, limit: 50).items.map(\.id), ["b-public"])
        XCTAssertEqual(try ids(SearchQuery(tag: "gone"), .everyone), ["b-public"])
        XCTAssertEqual(try ids(SearchQuery(tag: "gone"), .publicOf(alice.userID)), [])
        XCTAssertEqual(try catalog.publicImages(ownerID: alice.userID, cursor: nil, limit: 50).items, [])
        XCTAssertNil(try catalog.image(shareToken: "alice-image-token-0123456789abcd"))
        XCTAssertNil(try catalog.album(shareToken: "alice-album-token-0123456789abcd"))
        XCTAssertEqual(try catalog.albums(scope: .publicOf(alice.userID), cursor: nil, limit: 50).items, [])
        XCTAssertEqual(try catalog.albums(scope: .everyone, cursor: nil, limit: 50).items.map(\.id), ["b-album"])
        assertThrows(.notFound, "an upload racing the confirmation") {
            try metadata.putImage(Self.image("late", owner: alice.userID, at: base))
        }
        assertThrows(.notFound, "an album racing the confirmation") {
            try catalog.createAlbum(Self.album("late-album", owner: alice.userID, at: base))
        }
        // The removal job still finds everything, a page at a time.
        XCTAssertEqual(Set(try metadata.images(ownerID: alice.userID, cursor: nil, limit: 50).items.map(\.id)),
                       ["a-public", "a-unlisted", "a-private"])
        XCTAssertEqual(try catalog.albums(scope: .owner(alice.userID), cursor: nil, limit: 50).items.count, 2)

        try catalog.markDeleted(userID: alice.userID, at: at.addingTimeInterval(60))
        assertSameMillisecond(try metadata.profile(userID: alice.userID)?.deletedAt, at, "the first confirmation counts")
        assertThrows(.notFound) { try catalog.markDeleted(userID: "nobody", at: at) }
    }

    public func testPurgeProfile() throws {
        let alice = Self.profile("alice"), bob = Self.profile("bob")
        try metadata.createProfile(alice)
        try metadata.createProfile(bob)
        try put("p1", owner: alice.userID, at: 0)
        try catalog.createAlbum(Self.album("al1", owner: alice.userID, at: base))
        try catalog.markDeleted(userID: alice.userID, at: wholeMilliseconds())
        assertThrows(.conflict(""), "photos remain") { try catalog.purgeProfile(userID: alice.userID) }
        try metadata.deleteImage(id: "p1")
        assertThrows(.conflict(""), "an album remains") { try catalog.purgeProfile(userID: alice.userID) }
        XCTAssertNotNil(try metadata.profile(userID: alice.userID))
        try catalog.deleteAlbum(id: "al1")
        try catalog.purgeProfile(userID: alice.userID)
        XCTAssertNil(try metadata.profile(userID: alice.userID))
        XCTAssertNil(try metadata.profile(username: "alice"))
        XCTAssertEqual(try catalog.usage(ownerID: alice.userID), StorageUsage(bytes: 0, images: 0))
        try catalog.purgeProfile(userID: alice.userID)  // the job may run twice
        XCTAssertEqual(try metadata.profile(userID: bob.userID), bob, "others stay")
        try metadata.createProfile(Self.profile("alice"))  // the name is free again
    }

    // MARK: Helpers

    func day0(_ day: Double) -> Date { wholeMilliseconds(Date(timeIntervalSince1970: 1_500_000_000 + day * 86_400)) }

    /// Puts an image uploaded `at` seconds after `base`, with details set through the catalog.
    func put(_ id: String, owner: String, at seconds: Double, visibility: Visibility = .public, title: String = "",
             description: String = "", tags: [String] = []) throws {
        try metadata.putImage(Self.image(id, owner: owner, at: base.addingTimeInterval(seconds)))
        if visibility != .public || !title.isEmpty || !description.isEmpty || !tags.isEmpty {
            try catalog.updateDetails(imageID: id, title: title, description: description, tags: tags, visibility: visibility)
        }
    }

    /// Puts an encrypted photo as an upload does: ready, private, nothing for the worker.
    func putEncrypted(_ id: String, owner: String, at seconds: Double) throws {
        var image = Self.image(id, owner: owner, at: base.addingTimeInterval(seconds))
        image.encrypted = true
        image.status = .ready
        image.visibility = .private
        try metadata.putImage(image)
    }

    /// The ids of every match, following pages.
    func ids(_ query: SearchQuery, _ scope: Scope) throws -> [String] {
        var result: [String] = []
        var cursor: String?
        repeat {
            let page = try catalog.search(query, scope: scope, cursor: cursor, limit: 50)
            result += page.items.map(\.id)
            cursor = page.next
        } while cursor != nil
        return result
    }

    func albumIDs(_ albumID: String) throws -> [String] {
        try catalog.albumImages(albumID: albumID, cursor: nil, limit: 100).items.map(\.id)
    }

    /// Follows `next` to the end; every page holds at most `limit` items and there are several.
    func collect<T>(limit: Int, _ fetch: (String?) throws -> Page<T>) throws -> [T] {
        var items: [T] = []
        var cursor: String?
        var pages = 0
        repeat {
            let page = try fetch(cursor)
            XCTAssertLessThanOrEqual(page.items.count, limit)
            XCTAssertTrue(page.next == nil || !page.items.isEmpty, "a page that points further is not empty")
            items += page.items
            cursor = page.next
            pages += 1
        } while cursor != nil && pages < 1000
        XCTAssertNil(cursor, "paging ends")
        XCTAssertGreaterThan(pages, 1, "the test spans several pages")
        return items
    }

    public static func image(_ id: String, owner: String, at: Date) -> ImageRecord {
        ImageRecord(id: id, ownerID: owner, ownerUsername: "user-\(owner)", status: .processing, visibility: .public,
                    format: .jpeg, originalFilename: "\(id).jpg", byteSize: 100_000, width: 800, height: 600,
                    sha256: String(repeating: "ab", count: 32), originalKey: "originals/\(id).jpg", createdAt: at)
    }

    public static func derivatives(_ id: String, make: String? = nil, model: String? = nil, taken: Date? = nil) -> ImageDerivatives {
        ImageDerivatives(thumbnail: Derivative(key: "thumbs/\(id).webp", width: 320, height: 240, byteSize: 9000),
                         preview: Derivative(key: "previews/\(id).webp", width: 1280, height: 960, byteSize: 90_000),
                         metadata: PhotoMetadata(cameraMake: make, cameraModel: model, takenAt: taken))
    }

    public static func album(_ id: String, owner: String, at: Date) -> Album {
        Album(id: id, ownerID: owner, ownerUsername: "user-\(owner)", title: "Album \(id)", createdAt: at, updatedAt: at)
    }

    public static func profile(_ username: String) -> Profile {
        Profile(userID: UUID().uuidString.lowercased(), username: username, email: "\(username)@example.com",
                displayName: username.capitalized, createdAt: wholeMilliseconds())
    }
}
