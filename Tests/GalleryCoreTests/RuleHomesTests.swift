import Foundation
import GalleryCore
import XCTest

/// The rules that have one home in the core: field rules, the blob-key layout, ids and share
/// tokens, paging, backoff.
final class RuleHomesTests: XCTestCase {
    func testTagsAcceptLettersOfAnyScriptAndNormalise() throws {
        XCTAssertEqual(try Field.tags("Beach, #Sunset sunset  Ölfjord 東京 café"), ["beach", "sunset", "ölfjord", "東京", "café"])
        // "café" typed decomposed (e + combining acute) is the same tag as precomposed.
        XCTAssertEqual(try Field.tags("cafe\u{301}"), ["café"])
        XCTAssertEqual(Field.normalisedTag("Beer"), "beer", "addresses are case-insensitive")
        XCTAssertNil(Field.normalisedTag("a b"))
        XCTAssertNil(Field.normalisedTag(String(repeating: "x", count: 33)))
        XCTAssertThrowsError(try Field.tags("ok <script>"))
        XCTAssertThrowsError(try Field.tags((0...30).map { "t\($0)" }.joined(separator: " "))) {
            XCTAssertEqual(($0 as? FieldError)?.message, "A photo has at most 30 tags.")
        }
        for tag in try Field.tags("Ölfjord 東京 snake_case kebab-case") {
            XCTAssertTrue(CatalogRules.isNormalisedTag(tag), "what the form makes, the stores accept: \(tag)")
        }
    }

    func testTheFormsAndTheStoresAgreeOnEveryLimit() throws {
        let name = String(repeating: "n", count: CatalogRules.maxDisplayName)
        XCTAssertEqual(try Field.displayName(name), name)
        XCTAssertThrowsError(try Field.displayName(name + "n"))
        var profile = Profile(userID: "u", username: "u", email: "u@example.com", displayName: name, createdAt: Date())
        XCTAssertNoThrow(try CatalogRules.checkProfile(profile))
        profile.displayName += "n"
        XCTAssertThrowsError(try CatalogRules.checkProfile(profile))
        for (field, limit) in [(Field.bio, CatalogRules.maxBio), (Field.address, CatalogRules.maxAddress),
                               (Field.phone, CatalogRules.maxPhone), (Field.title, CatalogRules.maxTitle),
                               (Field.description, CatalogRules.maxDescription)] {
            XCTAssertNoThrow(try field(String(repeating: "x", count: limit)))
            XCTAssertThrowsError(try field(String(repeating: "x", count: limit + 1)))
        }
        XCTAssertThrowsError(try Field.albumTitle("  "), "an album needs a name")
        XCTAssertThrowsError(try Field.line("a\u{7}b", name: "x", max: 10), "no control characters")
        XCTAssertEqual(try Field.text("a\r\nb\tc", name: "x", max: 10), "a\nb\tc")
    }

    func testDatesAreRealDays() throws {
        XCTAssertEqual(try Field.date("2024-02-29", name: "From")?.timeIntervalSince1970, 1_709_164_800)
        XCTAssertThrowsError(try Field.date("2023-02-29", name: "From"), "not a leap year")
        XCTAssertThrowsError(try Field.date("2024-13-01", name: "From"))
        XCTAssertNil(try Field.date(" ", name: "From"))
    }

    func testBlobKeysAreBuiltAndParsedInOnePlace() throws {
        let id = Identifiers.make()
        let keys = [BlobKeys.original(imageID: id, fileExtension: "jpg"), BlobKeys.encryptedOriginal(imageID: id)]
            + DerivativeKeys(imageID: id).all
        for key in keys {
            XCTAssertEqual(BlobKeys.imageID(of: key), id, key)
            XCTAssertNoThrow(try BlobKeys.check(key))
            XCTAssertTrue(BlobKeys.prefixes.contains { key.hasPrefix($0) }, key)
        }
        XCTAssertEqual(BlobKeys.original(imageID: id, fileExtension: "png"), "originals/\(id.suffix(2))/\(id).png")
        for bad in ["originals/ab", "thumbs/x.png", "stripped/a.b", "other/x", "originals/ab/.jpg"] {
            XCTAssertNil(BlobKeys.imageID(of: bad), bad)
        }
        for bad in ["", "../x", "/etc/passwd", "a//b", "Upper/x", "a/.tmp-1", "a b", String(repeating: "a", count: 513)] {
            XCTAssertThrowsError(try BlobKeys.check(bad), bad)
        }
    }

    func testIdsAndShareTokens() {
        let id = Identifiers.make(now: Date(timeIntervalSince1970: 1_700_000_000))
        XCTAssertTrue(Identifiers.isValid(id))
        XCTAssertTrue(id.hasPrefix(String(1_700_000_000_000, radix: 16).leftPadded(to: 12)), "ids sort by creation")
        XCTAssertLessThan(id, Identifiers.make(now: Date(timeIntervalSince1970: 1_700_000_001)))
        XCTAssertFalse(Identifiers.isValid(id.uppercased()))
        XCTAssertFalse(Identifiers.isValid(String(id.dropLast())))
        XCTAssertThrowsError(try Identifiers.checked("../../etc")) { XCTAssertEqual($0 as? GalleryError, .notFound) }
        let tokens = Set((0..<100).map { _ in Identifiers.shareToken() })
        XCTAssertEqual(tokens.count, 100)
        XCTAssertTrue(tokens.allSatisfy(Identifiers.isShareToken))
        XCTAssertFalse(Identifiers.isShareToken("short"))
        XCTAssertFalse(Identifiers.isShareToken(String(repeating: "+", count: 32)))
    }

    func testPagingAndBackoff() throws {
        XCTAssertEqual(try PageSize.checked(1), 1)
        XCTAssertEqual(try PageSize.checked(1000), 1000)
        XCTAssertThrowsError(try PageSize.checked(0))
        XCTAssertThrowsError(try PageSize.checked(1001))
        let cut = Page.cut([1, 2, 3], limit: 2) { "after-\($0)" }
        XCTAssertEqual(cut.items, [1, 2])
        XCTAssertEqual(cut.next, "after-2")
        XCTAssertNil(Page.cut([1, 2], limit: 2) { "\($0)" }.next, "a last page never points to an empty one")

        XCTAssertEqual(Backoff.exponential(attempt: 1, base: 0.5, cap: 10), 0.5)
        XCTAssertEqual(Backoff.exponential(attempt: 4, base: 0.5, cap: 10), 4)
        XCTAssertEqual(Backoff.exponential(attempt: 10_000, base: 0.5, cap: 10), 10)
        XCTAssertEqual(Backoff.fullJitter(attempt: 3, base: 1, cap: 10, random: 0.5), 2)
        XCTAssertEqual(Backoff.fullJitter(attempt: 3, base: 1, cap: 10, random: 0), 0)
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
