import Foundation
import GalleryCore
import GalleryCrypto

/// The position after the last item of a page: its sort key (`DynamoTime.sortKey`, time then
/// id), opaque to callers as base64url. It is the `LastEvaluatedKey` DynamoDB would return
/// for a page of exactly that size, minus the partition, which the next call supplies
/// itself (a cursor cannot move a query into another owner's partition).
enum PageCursor {
    static func encode(_ sortKey: String) -> String { Encoding.base64URL(Array(sortKey.utf8)) }

    static func decode(_ text: String?) throws -> String? {
        guard let text else { return nil }
        guard text.count <= 400, let bytes = Encoding.base64URLDecode(text), let key = String(bytes: bytes, encoding: .utf8),
              let hash = key.firstIndex(of: "#"), key.distance(from: key.startIndex, to: hash) == 15,
              key[..<hash].allSatisfy(\.isASCII), key[..<hash].allSatisfy(\.isNumber),
              key.index(after: hash) < key.endIndex else {
            throw GalleryError.invalid("bad page cursor")
        }
        return key
    }

    /// The id part of a sort key.
    static func id(of sortKey: String) -> String {
        sortKey.firstIndex(of: "#").map { String(sortKey[sortKey.index(after: $0)...]) } ?? sortKey
    }

    /// Page sizes are the caller's, never the user's: 1…1000 like the embedded store.
    static func checkedLimit(_ limit: Int) throws -> Int {
        guard (1...1000).contains(limit) else { throw GalleryError.invalid("page size must be 1…1000, got \(limit)") }
        return limit
    }

    /// Cuts items fetched with `limit + 1` to a page; the extra one only says there is more.
    static func page<T: Sendable>(_ items: [T], limit: Int, sortKey: (T) -> String) -> Page<T> {
        guard items.count > limit else { return Page(items: items, next: nil) }
        let kept = Array(items.prefix(limit))
        return Page(items: kept, next: encode(sortKey(kept[limit - 1])))
    }
}
