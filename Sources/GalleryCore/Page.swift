/// One page of a list. `next` is an opaque cursor (never an offset): pass it back to get the
/// following page; nil means this was the last one.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var next: String?
    public init(items: [Item], next: String?) {
        self.items = items
        self.next = next
    }
}

/// The one paging rule of every store: page sizes are the caller's, never the user's, 1…1000.
public enum PageSize {
    public static let max = 1000

    /// `limit` if it is 1…1000, else `.invalid`.
    public static func checked(_ limit: Int) throws -> Int {
        guard (1...max).contains(limit) else { throw GalleryError.invalid("page size must be 1…\(max), got \(limit)") }
        return limit
    }
}

extension Page {
    /// Cuts items fetched with `limit + 1` to a page; the extra one only says that there is a
    /// next page, so a last page never points to an empty one. `cursor` encodes the position
    /// after the last kept item.
    public static func cut(_ items: [Item], limit: Int, cursor: (Item) -> String) -> Page<Item> {
        guard items.count > limit else { return Page(items: items, next: nil) }
        let kept = Array(items.prefix(limit))
        return Page(items: kept, next: cursor(kept[limit - 1]))
    }
}
