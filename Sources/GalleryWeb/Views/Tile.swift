import Foundation
import GalleryHTTP
import GalleryCore
import Mustache

/// One photo in a tile grid (feed, gallery, album, search, tag and person pages). Typed, and
/// rendered by `html` in Swift rather than by a Mustache partial: the engine's dynamic lookups
/// and escaping of ~15 values per tile were nearly all of a feed page's render time.
/// `templates/tiles.mustache` places the grid (`{{{images}}}`); templates can still read a
/// tile's values by name (`child(named:)`), escaped as usual.
public struct Tile {
    var id: String
    /// The image's page and the base of its bytes (direct, or through a share link).
    var link: String
    var media: String
    var owner: String
    /// The title, or the file name when there is none.
    var name: String
    var status: ImageStatus
    var encrypted: Bool
    var createdAt: Date
    var thumbnail: (width: Int, height: Int)?
    var placeholder: SafeDataURL?
    /// With a checkbox for the gallery's bulk form (only the markup has it).
    var selectable = false
    /// When the photo was taken (EXIF), if known: the grid's day headings use it, else `createdAt`.
    var takenAt: Date? = nil
    /// A 2x thumbnail exists (`srcset`); images processed before it have the 1x only.
    var hasThumbnail2x = false

    var ready: Bool { status == .ready && !encrypted }
    var processing: Bool { status == .processing }
    var failed: Bool { status == .failed }

    /// The names templates know a tile's values by (the image page builds on them).
    static let names = ["id", "link", "media", "owner", "name", "ready", "processing", "failed", "encrypted",
                        "created", "createdISO", "dayISO", "thumbWidth", "thumbHeight", "has2x", "placeholder"]

    var fields: [String: Any] {
        var fields: [String: Any] = [:]
        for name in Self.names {
            if let value = child(named: name) { fields[name] = value }
        }
        return fields
    }

    /// The tile's `<li>`: the markup `tiles.mustache` had, with every value escaped as the
    /// template escaped it, and the placeholder only as a checked data URL.
    func write(to out: inout HTMLWriter) {
        out.markup("  <li class=\"tile")
        if processing { out.markup(" processing") }
        if failed { out.markup(" failed") }
        if encrypted { out.markup(" locked") }
        // For the script: which image (status polling), its shape (the justified grid can be
        // laid out before any thumbnail arrives) and its day (the day headings).
        out.markup("\" data-id=\"")
        out.text(id)
        if let thumbnail {
            out.markup("\" data-w=\"")
            out.number(thumbnail.width)
            out.markup("\" data-h=\"")
            out.number(thumbnail.height)
        }
        out.markup("\" data-day=\"")
        out.time(takenAt ?? createdAt, machine: true)
        out.markup("\">\n    <a class=\"thumb\" href=\"")
        out.text(link)
        out.markup("\" title=\"")
        out.text(name)
        out.markup("\">\n      ")
        if ready {
            if let placeholder {
                out.markup("<img class=\"ph\" src=\"")
                out.dataURL(placeholder)
                out.markup("\" alt=\"\" aria-hidden=\"true\">")
            }
            out.markup("<img class=\"real\" src=\"")
            out.text(media)
            out.markup("/thumb.webp\" ")
            if hasThumbnail2x {
                out.markup("srcset=\"")
                out.text(media)
                out.markup("/thumb.webp 1x, ")
                out.text(media)
                out.markup("/thumb-2x.webp 2x\" ")
            }
            out.markup("width=\"")
            if let thumbnail { out.number(thumbnail.width) }
            out.markup("\" height=\"")
            if let thumbnail { out.number(thumbnail.height) }
            out.markup("\" alt=\"")
            out.text(name)
            out.markup("\" loading=\"lazy\">")
        }
        out.markup("\n      ")
        if processing { out.markup("<span class=\"state\">Processing…</span>") }
        out.markup("\n      ")
        if failed { out.markup("<span class=\"state\">Could not process</span>") }
        out.markup("\n      ")
        if encrypted { out.markup("<span class=\"state lock\" aria-label=\"Encrypted\">🔒 Encrypted</span>") }
        out.markup("\n    </a>\n    <span class=\"caption\">")
        if selectable {
            out.markup("<input type=\"checkbox\" name=\"image\" value=\"")
            out.text(id)
            out.markup("\" form=\"bulk\" aria-label=\"Select ")
            out.text(name)
            out.markup("\"> ")
        }
        out.markup("<a href=\"")
        out.text(link)
        out.markup("\">")
        out.text(name)
        out.markup("</a> · <a href=\"/u/")
        out.text(owner)
        out.markup("\">")
        out.text(owner)
        out.markup("</a> · <time datetime=\"")
        out.time(createdAt, machine: true)
        out.markup("\">")
        out.time(createdAt, machine: false)
        out.markup("</time></span>\n  </li>\n")
    }

    /// One tile's markup (the JSON endpoints send it, so the script never builds tiles itself).
    var html: String {
        var out = HTMLWriter(capacity: Self.typicalSize + (placeholder?.value.utf8.count ?? 0))
        write(to: &out)
        return out.html
    }

    /// Room for a tile's markup without its placeholder.
    static let typicalSize = 1100
}

/// `{{{images}}}`: the grid's tiles, rendered in one go. (`{{images}}` would show the markup
/// escaped: safe, and visibly wrong. `{{#images}}…{{/images}}` still iterates the tiles.)
extension Array: @retroactive MustacheCustomRenderable where Element == Tile {
    public var renderText: String {
        var out = HTMLWriter(capacity: reduce(0) { $0 + Tile.typicalSize + ($1.placeholder?.value.utf8.count ?? 0) })
        for tile in self { tile.write(to: &out) }
        return out.html
    }

    public var isNull: Bool { false }
}

extension Tile: MustacheParent {
    public func child(named name: String) -> Any? {
        switch name {
        case "id": return id
        case "link": return link
        case "media": return media
        case "owner": return owner
        case "name": return self.name
        case "ready": return ready
        case "processing": return processing
        case "failed": return failed
        case "encrypted": return encrypted
        case "created": return Formatting.timestamp(createdAt)
        case "createdISO": return Formatting.machineTime(createdAt)
        case "dayISO": return Formatting.machineTime(takenAt ?? createdAt)
        case "thumbWidth": return thumbnail?.width
        case "thumbHeight": return thumbnail?.height
        case "has2x": return hasThumbnail2x
        case "placeholder": return placeholder?.value
        default: return nil
        }
    }
}
