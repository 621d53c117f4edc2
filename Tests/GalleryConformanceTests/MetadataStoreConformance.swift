import Foundation
import GalleryConformance
import GalleryCore
import Testing

/// What every `MetadataStore` must do, each check run over every backend (`MetadataBackend`):
/// SQLite, and DynamoDB on moto_server. Each test case gets a new, empty store.
@Suite(.serialized, .backends(serializedMoto: true))
struct MetadataStoreConformance {
    // MARK: Profiles

    @Test(arguments: MetadataBackend.allCases)
    func profileRoundTrip(_ backend: MetadataBackend) throws {
        let store = try backend.make()
        let alice = Self.profile("alice")
        #expect(!(alice.sharePosition), "positions are private by default")
        #expect(alice.stripPositionForOthers, "originals lose their position by default")
        try store.createProfile(alice)
        #expect(try store.profile(userID: alice.userID) == alice)
        var open = Self.profile("open")
        open.sharePosition = true
        open.stripPositionForOthers = false
        try store.createProfile(open)
        #expect(try store.profile(userID: open.userID) == open)
        #expect(try store.profile(username: "alice") == alice)
        #expect(try store.profile(userID: "nobody") == nil)
        #expect(try store.profile(username: "nobody") == nil)
    }

    /// Usernames are one namespace whatever their case: "Alice" cannot pose as "alice".
    @Test(arguments: MetadataBackend.allCases)
    func usernamesIgnoreCase(_ backend: MetadataBackend) throws {
        let store = try backend.make()
        let alice = Self.profile("alice")
        try store.createProfile(alice)
        #expect(try store.profile(username: "ALICE") == alice)
        expectThrows(.conflict("")) { try store.createProfile(Self.profile("Alice")) }
    }

    @Test(arguments: MetadataBackend.allCases)
    func duplicateProfileConflicts(_ backend: MetadataBackend) throws {
        let store = try backend.make()
        let alice = Self.profile("alice")
        try store.createProfile(alice)
        expectThrows(.conflict(""), "same username") { try store.createProfile(Self.profile("alice")) }
        var sameID = Self.profile("alice2")
        sameID.userID = alice.userID
        expectThrows(.conflict(""), "same user id") { try store.createProfile(sameID) }
        #expect(try store.profile(userID: alice.userID) == alice, "the first profile is untouched")
    }

    // MARK: Sessions

    @Test(arguments: MetadataBackend.allCases)
    func sessionLifecycle(_ backend: MetadataBackend) throws {
        let store = try backend.make()
        let now = wholeMilliseconds()
        let a = SessionRecord(idHash: "hash-a", userID: "u1", createdAt: now, lastSeenAt: now,
                              expiresAt: now.addingTimeInterval(3600), providerToken: "secret-token")
        let b = SessionRecord(idHash: "hash-b", userID: "u1", createdAt: now, lastSeenAt: now,
                              expiresAt: now.addingTimeInterval(3600))
        let c = SessionRecord(idHash: "hash-c", userID: "u2", createdAt: now, lastSeenAt: now,
                              expiresAt: now.addingTimeInterval(3600))
        for s in [a, b, c] { try store.createSession(s) }
        #expect(try store.session(idHash: "hash-a") == a)
        #expect(try store.session(idHash: "hash-b") == b)
        #expect(try store.session(idHash: "hash-x") == nil)

        let later = wholeMilliseconds(now.addingTimeInterval(60))
        try store.touchSession(idHash: "hash-a", lastSeenAt: later)
        #expect((try store.session(idHash: "hash-a")?.lastSeenAt) == later)
        #expect((try store.session(idHash: "hash-a")?.expiresAt) == a.expiresAt, "touch keeps the absolute expiry")

        try store.deleteSession(idHash: "hash-a")
        #expect(try store.session(idHash: "hash-a") == nil)
        try store.deleteSession(idHash: "hash-a")  // already gone: no error

        try store.createSession(a)
        try store.deleteSessions(userID: "u1")
        #expect(try store.session(idHash: "hash-a") == nil)
        #expect(try store.session(idHash: "hash-b") == nil)
        #expect(try store.session(idHash: "hash-c") == c, "another user's session stays")
    }

    /// A user's sessions with their devices, most recently seen first; expired ones are not listed.
    @Test(arguments: MetadataBackend.allCases)
    func sessionsOfAUser(_ backend: MetadataBackend) throws {
        let store = try backend.make()
        let now = wholeMilliseconds()
        let old = SessionRecord(idHash: "hash-old", userID: "u1", createdAt: now, lastSeenAt: now,
                                expiresAt: now.addingTimeInterval(3600), device: "Firefox on Linux")
        let recent = SessionRecord(idHash: "hash-recent", userID: "u1", createdAt: now,
                                   lastSeenAt: wholeMilliseconds(now.addingTimeInterval(30)),
                                   expiresAt: now.addingTimeInterval(3600), device: "Safari on iPhone")
        let expired = SessionRecord(idHash: "hash-expired", userID: "u1", createdAt: now.addingTimeInterval(-7200),
                                    lastSeenAt: now.addingTimeInterval(-7200), expiresAt: now.addingTimeInterval(-1))
        let other = SessionRecord(idHash: "hash-other", userID: "u2", createdAt: now, lastSeenAt: now,
                                  expiresAt: now.addingTimeInterval(3600))
        for s in [old, recent, expired, other] { try store.createSession(s) }
        #expect(try store.sessions(userID: "u1") == [recent, old])
        #expect((try store.session(idHash: "hash-recent")?.device) == "Safari on iPhone")
        #expect(try store.sessions(userID: "nobody") == [])
    }

    // MARK: Attempt counters

    /// Counts per key, one atomic step per attempt: of many concurrent attempts each gets its
    /// own number, so no two responders can both see "under budget" for the last one.
    @Test(arguments: MetadataBackend.allCases)
    func attemptCounter(_ backend: MetadataBackend) throws {
        let store = try backend.make()
        let until = Date().addingTimeInterval(600)
        #expect(try store.countAttempt(key: "login:account:a:1", expiresAt: until) == 1)
        #expect(try store.countAttempt(key: "login:account:a:1", expiresAt: until) == 2)
        #expect(try store.countAttempt(key: "login:account:b:1", expiresAt: until) == 1, "keys are apart")
        #expect(try store.countAttempt(key: "login:account:a:2", expiresAt: until) == 1, "a new window is a new key")
        let results = Counts()
        DispatchQueue.concurrentPerform(iterations: 16) { _ in
            do { results.add(try store.countAttempt(key: "login:address:c:1", expiresAt: until)) } catch { results.fail(error) }
        }
        #expect(results.error == nil)
        #expect(results.values.sorted() == Array(1...16))
    }

    // MARK: Images

    @Test(arguments: MetadataBackend.allCases)
    func imageRoundTrip(_ backend: MetadataBackend) throws {
        let store = try backend.make()
        let image = Self.image(id: "img1", owner: "u1", createdAt: wholeMilliseconds())
        try store.putImage(image)
        #expect(try store.image(id: "img1") == image)
        #expect(try store.image(id: "img-missing") == nil)
        expectThrows(.conflict(""), "same id") { try store.putImage(image) }
    }

    /// The catalog's fields (details, tags, encryption, share link; profile details) are kept
    /// by the metadata store's own writes and reads.
    @Test(arguments: MetadataBackend.allCases)
    func catalogFieldsRoundTrip(_ backend: MetadataBackend) throws {
        let store = try backend.make()
        var image = Self.image(id: "img1", owner: "u1", createdAt: wholeMilliseconds())
        image.title = "Tower <b>bridge</b> at dusk"
        image.description = "Long exposure.\nÜber 30 s — 夜"
        image.tags = ["london", "night", "long-exposure", "b_w"]
        image.shareToken = "token-Aa0_-xyz0123456789abcdefgh"
        image.visibility = .unlisted
        try store.putImage(image)
        #expect(try store.image(id: "img1") == image)

        var locked = Self.image(id: "img2", owner: "u1", createdAt: wholeMilliseconds())
        locked.encrypted = true
        locked.visibility = .private
        try store.putImage(locked)
        #expect(try store.image(id: "img2") == locked)
        var exposed = Self.image(id: "img3", owner: "u1", createdAt: wholeMilliseconds())
        exposed.encrypted = true
        expectThrows(.invalid(""), "an encrypted photo is never public") { try store.putImage(exposed) }
        #expect(try store.image(id: "img3") == nil)

        var alice = Self.profile("alice")
        try store.putImage(Self.image(id: "avatar", owner: alice.userID, createdAt: wholeMilliseconds()))
        alice.bio = "Birds & <i>trains</i>"
        alice.address = "1 Main St\nSpringfield"
        alice.phone = "+41 44 000 00 00"
        alice.avatarImageID = "avatar"
        alice.defaultVisibility = .unlisted
        alice.deletedAt = wholeMilliseconds()
        try store.createProfile(alice)
        #expect(try store.profile(userID: alice.userID) == alice)
        #expect(try store.profile(username: "alice") == alice)
        let bob = Self.profile("bob")
        try store.createProfile(bob)
        #expect((try store.profile(userID: bob.userID)?.defaultVisibility) == .public, "the defaults")
        #expect(try store.profile(userID: bob.userID) == bob)
    }

    @Test(arguments: MetadataBackend.allCases)
    func markImageReady(_ backend: MetadataBackend) throws {
        let store = try backend.make()
        let image = Self.image(id: "img1", owner: "u1", createdAt: wholeMilliseconds())
        try store.putImage(image)
        let derivatives = ImageDerivatives(
            thumbnail: Derivative(key: "thumbs/im/img1.webp", width: 320, height: 240, byteSize: 12_345),
            preview: Derivative(key: "previews/im/img1.webp", width: 1280, height: 960, byteSize: 234_567),
            placeholder: "data:image/webp;base64,UklGRh4AAABXRUJQVlA4",
            metadata: PhotoMetadata(cameraMake: "Canon", cameraModel: "EOS 5D", lens: "EF 50mm f/1.8",
                                    exposureTime: "1/250", fNumber: 2.8, iso: 400, focalLength: 50,
                                    takenAt: wholeMilliseconds(Date(timeIntervalSince1970: 1_600_000_000)),
                                    latitude: 47.3769, longitude: -8.5417))
        try store.markImageReady(id: "img1", derivatives: derivatives)
        var expected = image
        expected.status = .ready
        expected.derivatives = derivatives
        #expect(try store.image(id: "img1") == expected)

        // No EXIF at all is not the same as EXIF with every field empty.
        var bare = derivatives
        bare.metadata = nil
        bare.placeholder = nil
        try store.markImageReady(id: "img1", derivatives: bare)
        #expect((try store.image(id: "img1")?.derivatives) == bare)
        var empty = derivatives
        empty.metadata = PhotoMetadata()
        try store.markImageReady(id: "img1", derivatives: empty)
        #expect((try store.image(id: "img1")?.derivatives) == empty)

        // What others download as the original: every case survives the round trip.
        for forOthers: OriginalForOthers in [.original, .withheld, .copy(key: "stripped/img1", byteSize: 98_765)] {
            var d = derivatives
            d.originalForOthers = forOthers
            try store.markImageReady(id: "img1", derivatives: d)
            #expect((try store.image(id: "img1")?.derivatives) == d)
            #expect((try store.images(ownerID: "u1", cursor: nil, limit: 5).items.first?.derivatives) == d)
        }
        // The 2x thumbnail, and its absence (images processed before it existed).
        var sharp = derivatives
        sharp.thumbnail2x = Derivative(key: "thumbs/img1-2x.webp", width: 640, height: 480, byteSize: 40_000)
        try store.markImageReady(id: "img1", derivatives: sharp)
        #expect((try store.image(id: "img1")?.derivatives) == sharp)
        #expect(sharp.blobKeys.filter { $0.hasPrefix("thumbs/") }.count == 2)
        try store.markImageReady(id: "img1", derivatives: derivatives)
        #expect((try store.image(id: "img1")?.derivatives?.thumbnail2x) == nil)
    }

    @Test(arguments: MetadataBackend.allCases)
    func markImageFailed(_ backend: MetadataBackend) throws {
        let store = try backend.make()
        let image = Self.image(id: "img1", owner: "u1", createdAt: wholeMilliseconds())
        try store.putImage(image)
        try store.markImageFailed(id: "img1", reason: "The file is not a picture we can read.")
        var expected = image
        expected.status = .failed
        expected.failureReason = "The file is not a picture we can read."
        #expect(try store.image(id: "img1") == expected)

        // Its job requeued: being tried again, the old reason gone.
        try store.markImageProcessing(id: "img1")
        #expect(try store.image(id: "img1") == image)
    }

    @Test(arguments: MetadataBackend.allCases)
    func markMissingImage(_ backend: MetadataBackend) throws {
        let store = try backend.make()
        let derivatives = ImageDerivatives(thumbnail: Derivative(key: "t", width: 1, height: 1, byteSize: 1),
                                           preview: Derivative(key: "p", width: 1, height: 1, byteSize: 1))
        expectThrows(.notFound) { try store.markImageReady(id: "gone", derivatives: derivatives) }
        expectThrows(.notFound) { try store.markImageFailed(id: "gone", reason: "x") }
        expectThrows(.notFound) { try store.markImageProcessing(id: "gone") }
    }

    @Test(arguments: MetadataBackend.allCases)
    func deleteImage(_ backend: MetadataBackend) throws {
        let store = try backend.make()
        let image = Self.image(id: "img1", owner: "u1", createdAt: wholeMilliseconds())
        try store.putImage(image)
        #expect(try store.deleteImage(id: "img1") == image, "delete returns the record for its blobs")
        #expect(try store.image(id: "img1") == nil)
        #expect(try store.deleteImage(id: "img1") == nil)
        #expect(try store.images(ownerID: "u1", cursor: nil, limit: 10).items == [])
    }

    // MARK: Pages

    @Test(arguments: MetadataBackend.allCases)
    func ownerPages(_ backend: MetadataBackend) throws {
        let store = try backend.make()
        let base = wholeMilliseconds()
        var mine: [ImageRecord] = []
        for i in 0..<53 {
            // Every third image shares its time with the one before: the id breaks the tie.
            let at = base.addingTimeInterval(-Double(i - i % 3 / 2) * 0.001 * 7)
            var image = Self.image(id: String(format: "img-%03d", i), owner: "u1", createdAt: wholeMilliseconds(at))
            image.visibility = Visibility.allCases[i % 3]
            image.status = [.processing, .ready, .failed][i % 3]
            mine.append(image)
        }
        for image in mine.shuffled() { try store.putImage(image) }
        for i in 0..<7 {
            try store.putImage(Self.image(id: "other-\(i)", owner: "u2", createdAt: base))
        }
        let expected = Self.newestFirst(mine)
        let got = try collectPages(limit: 10) { try store.images(ownerID: "u1", cursor: $0, limit: 10) }
        #expect(got.map(\.id) == expected.map(\.id), "every image once, newest first")
        #expect(got == expected)
        #expect(try store.images(ownerID: "u3", cursor: nil, limit: 10).items == [])
    }

    @Test(arguments: MetadataBackend.allCases)
    func publicFeedPages(_ backend: MetadataBackend) throws {
        let store = try backend.make()
        let base = wholeMilliseconds()
        var all: [ImageRecord] = []
        for i in 0..<61 {
            var image = Self.image(id: String(format: "img-%03d", i), owner: "u\(i % 4)",
                                   createdAt: wholeMilliseconds(base.addingTimeInterval(-Double(i / 2))))
            image.visibility = i % 5 == 0 ? .private : (i % 5 == 1 ? .unlisted : .public)
            image.status = i % 7 == 0 ? .processing : .ready
            all.append(image)
        }
        for image in all.shuffled() { try store.putImage(image) }
        let expected = Self.newestFirst(all.filter { $0.visibility == .public })
        #expect(expected.count > 24)
        let got = try collectPages(limit: 12) { try store.publicFeed(cursor: $0, limit: 12) }
        #expect(got.map(\.id) == expected.map(\.id), "only public images, each once, newest first")
    }

    /// A page boundary is a position, not an offset: images added or removed while someone
    /// pages through do not duplicate or skip the others.
    @Test(arguments: MetadataBackend.allCases)
    func pagesStableUnderChanges(_ backend: MetadataBackend) throws {
        let store = try backend.make()
        let base = wholeMilliseconds(Date().addingTimeInterval(-3600))
        var images: [ImageRecord] = []
        for i in 0..<30 {
            let image = Self.image(id: String(format: "img-%03d", i), owner: "u1",
                                   createdAt: wholeMilliseconds(base.addingTimeInterval(-Double(i))))
            images.append(image)
            try store.putImage(image)
        }
        let first = try store.images(ownerID: "u1", cursor: nil, limit: 10)
        #expect(first.items.map(\.id) == images.prefix(10).map(\.id))
        // Newer uploads arrive, and an image of the next page is deleted.
        for i in 0..<5 {
            try store.putImage(Self.image(id: "new-\(i)", owner: "u1", createdAt: wholeMilliseconds()))
        }
        try store.deleteImage(id: "img-012")
        let second = try store.images(ownerID: "u1", cursor: #require(first.next), limit: 10)
        #expect(second.items.map(\.id) == (images[10..<21].map(\.id).filter { $0 != "img-012" }))
    }

    @Test(arguments: MetadataBackend.allCases)
    func badCursorIsInvalid(_ backend: MetadataBackend) throws {
        let store = try backend.make()
        expectThrows(.invalid("")) { try store.publicFeed(cursor: "not a cursor!", limit: 10) }
        expectThrows(.invalid("")) { try store.images(ownerID: "u1", cursor: "%%%", limit: 10) }
    }

    @Test(arguments: MetadataBackend.allCases)
    func processingImagesForTheReconciler(_ backend: MetadataBackend) throws {
        let store = try backend.make()
        let now = wholeMilliseconds()
        for i in 0..<7 {
            try store.putImage(Self.image(id: "old\(i)", owner: "u1", createdAt: now.addingTimeInterval(-3600 + Double(i))))
        }
        try store.putImage(Self.image(id: "fresh", owner: "u1", createdAt: now))
        try store.putImage(Self.image(id: "done", owner: "u2", createdAt: now.addingTimeInterval(-7200)))
        try store.markImageReady(id: "done", derivatives: ImageDerivatives(
            thumbnail: Derivative(key: "thumbs/done.webp", width: 1, height: 1, byteSize: 1),
            preview: Derivative(key: "previews/done.webp", width: 1, height: 1, byteSize: 1)))
        try store.putImage(Self.image(id: "failed", owner: "u2", createdAt: now.addingTimeInterval(-7200)))
        try store.markImageFailed(id: "failed", reason: "x")
        var found: [String] = []
        var cursor: String?
        var pages = 0
        repeat {
            let page = try store.processingImages(createdBefore: now.addingTimeInterval(-60), cursor: cursor, limit: 3)
            #expect(page.items.count <= 3)
            found += page.items.map(\.id)
            cursor = page.next
            pages += 1
        } while cursor != nil && pages < 100
        #expect(found.sorted() == (0..<7).map { "old\($0)" }, "processing and older than the cut-off, each once")
        expectThrows(.invalid("")) { try store.processingImages(createdBefore: now, cursor: nil, limit: 0) }
    }

    // MARK: Helpers

    /// Follows `next` to the end; every page holds at most `limit` items.
    private func collectPages(limit: Int, _ fetch: (String?) throws -> Page<ImageRecord>) throws -> [ImageRecord] {
        var items: [ImageRecord] = []
        var cursor: String?
        var pages = 0
        repeat {
            let page = try fetch(cursor)
            #expect(page.items.count <= limit)
            #expect(page.next == nil || page.items.count > 0, "a page that points further is not empty")
            items += page.items
            cursor = page.next
            pages += 1
        } while cursor != nil && pages < 1000
        #expect(cursor == nil, "paging ends")
        #expect(pages > 1, "the test spans several pages")
        return items
    }

    static func newestFirst(_ images: [ImageRecord]) -> [ImageRecord] {
        images.sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }
    }

    static func profile(_ username: String) -> Profile {
        Profile(userID: UUID().uuidString.lowercased(), username: username, email: "\(username)@example.com",
                displayName: username.capitalized, createdAt: wholeMilliseconds())
    }

    static func image(id: String, owner: String, createdAt: Date) -> ImageRecord {
        ImageRecord(id: id, ownerID: owner, ownerUsername: "user-\(owner)", status: .processing,
                    visibility: .public, format: .jpeg, originalFilename: "IMG_0001 (copy).JPG",
                    byteSize: 1_581_031, width: 4032, height: 3024,
                    sha256: String(repeating: "ab", count: 32), originalKey: "originals/\(id).jpg",
                    createdAt: createdAt)
    }
}

/// Results gathered from concurrent attempts.
private final class Counts: @unchecked Sendable {  // every access holds `lock`
    private let lock = NSLock()
    private(set) var values: [Int] = []
    private(set) var error: Error?
    func add(_ value: Int) { lock.lock(); values.append(value); lock.unlock() }
    func fail(_ e: Error) { lock.lock(); error = e; lock.unlock() }
}
