import Foundation
import GalleryCore
import GalleryTestSupport
import Mustache
import XCTest
import GalleryHTTP
@testable import GalleryWeb
#if canImport(Glibc)
import Glibc
#endif

/// The tile grid rendered in Swift (`Tile.write`) against the Mustache partial it replaced, the
/// hand-made UTC formatting against `gmtime_r`, and the placeholder check.
final class TileTests: XCTestCase {
    /// `templates/tiles.mustache` before the grid was rendered in Swift (plus the data
    /// attributes the script reads since): tiles as dictionaries, `selectable` from the page.
    static let previousTemplate = """
        <ul class="grid">
        {{#images}}
          <li class="tile{{#processing}} processing{{/processing}}{{#failed}} failed{{/failed}}{{#encrypted}} locked{{/encrypted}}" data-id="{{id}}{{#thumbWidth}}" data-w="{{thumbWidth}}" data-h="{{thumbHeight}}{{/thumbWidth}}" data-day="{{dayISO}}">
            <a class="thumb" href="{{link}}" title="{{name}}">
              {{#ready}}{{#placeholder}}<img class="ph" src="{{{placeholder}}}" alt="" aria-hidden="true">{{/placeholder}}<img class="real" src="{{media}}/thumb.webp" {{#has2x}}srcset="{{media}}/thumb.webp 1x, {{media}}/thumb-2x.webp 2x" {{/has2x}}width="{{thumbWidth}}" height="{{thumbHeight}}" alt="{{name}}" loading="lazy">{{/ready}}
              {{#processing}}<span class="state">Processing…</span>{{/processing}}
              {{#failed}}<span class="state">Could not process</span>{{/failed}}
              {{#encrypted}}<span class="state lock" aria-label="Encrypted">🔒 Encrypted</span>{{/encrypted}}
            </a>
            <span class="caption">{{#selectable}}<input type="checkbox" name="image" value="{{id}}" form="bulk" aria-label="Select {{name}}"> {{/selectable}}<a href="{{link}}">{{name}}</a> · <a href="/u/{{owner}}">{{owner}}</a> · <time datetime="{{createdISO}}">{{created}}</time></span>
          </li>
        {{/images}}
        </ul>

        """

    static let placeholder = "data:image/webp;base64,UklGRkAAAABXRUJQVlA4IDQAAADwAQCdASoQAAwAPm0ylkekIyIhKAgAgA2JaQAAPaOgAP7+gcAA/+b2Of/zY8/+Zd//1gAA"

    /// Every state a tile has, with hostile names, owners, links and placeholders.
    static func sampleImages() -> [(ImageRecord, ImageView.Address?)] {
        let ready = ImageDerivatives(
            thumbnail: Derivative(key: "thumbs/a.webp", width: 320, height: 213, byteSize: 1),
            preview: Derivative(key: "previews/a.webp", width: 1280, height: 853, byteSize: 1),
            placeholder: placeholder)
        func image(_ n: Int, status: ImageStatus = .ready, title: String = "", filename: String = "photo.jpg",
                   owner: String = "alice", derivatives: ImageDerivatives? = ready, encrypted: Bool = false) -> ImageRecord {
            ImageRecord(id: String(format: "%032x", n), ownerID: "u1", ownerUsername: owner, status: status,
                        visibility: encrypted ? .private : .public, format: .jpeg, originalFilename: filename,
                        byteSize: 10, width: 4000, height: 3000, sha256: "", originalKey: "originals/\(n)",
                        derivatives: status == .ready ? derivatives : nil,
                        createdAt: Date(timeIntervalSince1970: 1_795_256_580 - Double(n) * 86_461.5),
                        title: title, encrypted: encrypted)
        }
        var unsafe = ready
        unsafe.placeholder = "data:image/webp;base64,AAAA\"><script>alert(1)</script>"
        var none = ready
        none.placeholder = nil
        var sharp = ready
        sharp.thumbnail2x = Derivative(key: "thumbs/a-2x.webp", width: 640, height: 426, byteSize: 1)
        return [
            (image(1, title: "<script>alert('x')</script> & \"friends\""), nil),
            (image(2, filename: "My Holiday <1>.jpg", owner: "o'brien&<b>"), nil),
            (image(3, title: "Plain title", derivatives: unsafe), nil),
            (image(4, derivatives: none), nil),
            (image(5, status: .processing, title: "Ünïcödé 🌄 title"), nil),
            (image(6, status: .failed, filename: "broken\".png"), nil),
            (image(7, status: .ready, derivatives: nil, encrypted: true), nil),
            (image(8, derivatives: nil), nil),
            (image(10, title: "Sharp", derivatives: sharp), nil),
            (image(9, title: "Shared"), ImageView.Address(page: "/a/tok\"en/images/9", media: "/a/tok<en>/images/9")),
        ]
    }

    static func tiles(selectable: Bool) -> [Tile] {
        sampleImages().map { image, access in
            var tile = access.map { ImageView.tile(image, access: $0) } ?? ImageView.tile(image)
            tile.selectable = selectable
            return tile
        }
    }

    func testGridIsTheMarkupOfThePreviousTemplate() throws {
        let previous = try MustacheTemplate(string: Self.previousTemplate)
        let templateText = try String(contentsOf: Repository.url("templates/tiles.mustache"),
                                      encoding: .utf8)
        let current = try MustacheTemplate(string: templateText)
        for selectable in [false, true] {
            let tiles = Self.tiles(selectable: selectable)
            let expected = previous.render(["images": tiles.map(\.fields), "selectable": selectable] as [String: Any])
            let rendered = current.render(["images": tiles] as [String: Any])
            XCTAssertEqual(rendered, expected)
            XCTAssertEqual(rendered.components(separatedBy: "<li class=\"tile").count - 1, tiles.count)
            XCTAssertEqual(rendered.contains("type=\"checkbox\""), selectable)
        }
        let empty = current.render(["images": [Tile]()] as [String: Any])
        XCTAssertEqual(empty, previous.render(["images": [[String: Any]]()] as [String: Any]))
    }

    func testHostileValuesAreEscaped() {
        let html = Self.tiles(selectable: true).renderText
        XCTAssertTrue(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;friends&quot;"))
        XCTAssertTrue(html.contains("My Holiday &lt;1&gt;.jpg"))
        XCTAssertTrue(html.contains("href=\"/u/o&#39;brien&amp;&lt;b&gt;\""))
        XCTAssertTrue(html.contains("broken&quot;.png"))
        XCTAssertTrue(html.contains("href=\"/a/tok&quot;en/images/9\"") && html.contains("src=\"/a/tok&lt;en&gt;/images/9/thumb.webp\""))
        XCTAssertTrue(html.contains("Ünïcödé 🌄 title"))
        XCTAssertFalse(html.contains("<script"))
        XCTAssertFalse(html.contains("<b>"))
        XCTAssertFalse(html.contains("AAAA\""))
        // Only the checked placeholders are inlined.
        XCTAssertEqual(html.components(separatedBy: "src=\"\(Self.placeholder)\"").count - 1, 4)
        XCTAssertEqual(html.components(separatedBy: "/thumb-2x.webp 2x\"").count - 1, 1, "srcset only where a 2x exists")
    }

    func testSafeDataURL() {
        XCTAssertEqual(SafeDataURL(Self.placeholder)?.value, Self.placeholder)
        XCTAssertNotNil(SafeDataURL("data:image/webp;base64,"))
        for bad in ["data:image/png;base64,AAAA", "data:image/webp;base64,AA AA", "data:image/webp;base64,AA\"",
                    "data:image/webp;base64,AA<", "javascript:alert(1)", "data:image/webp;base64,AAé", ""] {
            XCTAssertNil(SafeDataURL(bad), bad)
        }
    }

    /// What `Formatting` printed before, with `gmtime_r` and `String(format:)`.
    static func reference(_ date: Date) -> (String, String) {
        var t = time_t(date.timeIntervalSince1970)
        var p = tm()
        gmtime_r(&t, &p)
        let (y, mo, d) = (Int(p.tm_year) + 1900, Int(p.tm_mon) + 1, Int(p.tm_mday))
        return (String(format: "%04d-%02d-%02d %02d:%02d UTC", y, mo, d, Int(p.tm_hour), Int(p.tm_min)),
                String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, d, Int(p.tm_hour), Int(p.tm_min), Int(p.tm_sec)))
    }

    func testUTCFormattingMatchesGmtime() {
        var intervals: [Double] = [0, -0.5, -1, 1, 59.999, 86_399, 86_400, -86_400, -86_401, 951_782_400 /* 2000-02-29 */,
                                   -2_203_891_200 /* 1900-03-01 */, 1_795_256_580, -62_167_219_200, -62_167_219_200.5,
                                   253_402_300_799, 4_107_542_399 /* 2100-02-28T23:59:59 */]
        var generator = SplitMix64(seed: 0x7153)
        for _ in 0..<20_000 {
            intervals.append(Double.random(in: -62_167_219_200...253_402_300_799, using: &generator).rounded(.down))
            intervals.append(Double.random(in: 0...4_102_444_800, using: &generator))
        }
        for interval in intervals {
            let date = Date(timeIntervalSince1970: interval)
            let (human, machine) = Self.reference(date)
            XCTAssertEqual(Formatting.timestamp(date), human, "\(interval)")
            XCTAssertEqual(Formatting.machineTime(date), machine, "\(interval)")
        }
        // No four-digit year: nothing rather than a malformed date.
        for interval in [-62_167_219_201, 253_402_300_800, Double.nan, Double.infinity] {
            XCTAssertEqual(Formatting.timestamp(Date(timeIntervalSince1970: interval)), "")
            XCTAssertEqual(Formatting.machineTime(Date(timeIntervalSince1970: interval)), "")
        }
    }
}
